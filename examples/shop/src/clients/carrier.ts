import axios from 'axios';
import { env } from '@/config';

// Parcel carrier API (labels and pickups).
const carrier = axios.create({
  baseURL: env.CARRIER_API_URL,
  headers: { Authorization: `Bearer ${env.CARRIER_API_KEY}`, Accept: 'application/json' },
});

export interface ShipmentBooking {
  reference: string;
  recipient: { name: string; email: string; country: string };
  parcels: Array<{ weightGrams: number }>;
}

export interface BookedShipment {
  id: string;
  carrier: string;
  labelUrl: string;
}

/**
 * Books a pickup and a label. The carrier deduplicates on the Idempotency-Key for 24 hours, so the
 * same `requestId` books one shipment however often it is sent.
 */
export async function bookShipment(booking: ShipmentBooking, requestId: string): Promise<BookedShipment> {
  const { data } = await carrier.post<BookedShipment>('/v2/shipments', booking, {
    headers: { 'Idempotency-Key': requestId },
  });
  return data;
}
