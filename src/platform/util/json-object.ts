/**
 * `text` as a JSON object, or undefined when it is not JSON or not an object (an array, a number, …): for lines
 * and files that may be torn, foreign or old, where the caller skips what it cannot use rather than failing.
 */
export function jsonObjectOrUndefined(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
