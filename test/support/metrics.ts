/**
 * The sum of a counter over its labels, from a service's Prometheus endpoint (`/metrics`); with
 * `label` (e.g. `index="summaries"`), over the series that carry it.
 */
export async function counter(baseUrl: string, name: string, label?: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+]+)$`).exec(line);
    if (match && (!label || (match[1] ?? '').includes(label))) total += Number(match[2]);
  }
  return total;
}
