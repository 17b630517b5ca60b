/** "1 recording", "3 recordings", "1,024 bytes": a count with its noun in the right number (en-US digit groups). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}
