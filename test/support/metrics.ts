/** The sum of a counter over its labels, from a service's Prometheus endpoint (`/metrics`). */
export async function counter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`).exec(line);
    if (match) total += Number(match[1]);
  }
  return total;
}
