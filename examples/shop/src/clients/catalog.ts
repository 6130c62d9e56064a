import axios from 'axios';
import { env } from '@/config';

// Product catalogue service: the source of truth for prices. Checkout never trusts prices sent by the browser.
const catalog = axios.create({
  baseURL: env.CATALOG_API_URL,
  timeout: 2_000,
  headers: { Accept: 'application/json' },
});

interface PriceList {
  currency: string;
  prices: Array<{ sku: string; unitPriceCents: number }>;
}

/** Current unit prices of the given SKUs in one call; SKUs the catalogue does not sell are missing from the map. */
export async function getPrices(skus: string[], currency: string): Promise<Map<string, number>> {
  const { data } = await catalog.get<PriceList>('/v1/prices', { params: { sku: skus.join(','), currency } });
  return new Map(data.prices.map((price) => [price.sku, price.unitPriceCents]));
}
