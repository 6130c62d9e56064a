/** `idempotencyKey`, `OrderItem` → `idempotency_key`, `order_item`: the snake_case most ORMs map names to. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
