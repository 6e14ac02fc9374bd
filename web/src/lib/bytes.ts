/** File sizes as people read them: "812 bytes", "34 kB", "4.2 MB", "1.3 GB", in the locale. */

const UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

export function formatBytes(bytes: number, locale: string): string {
  const format = (value: number, unit: string, digits: number) =>
    new Intl.NumberFormat(locale, {
      style: 'unit',
      unit,
      unitDisplay: 'short',
      maximumFractionDigits: digits,
    }).format(value);
  if (!Number.isFinite(bytes) || bytes < 1000) return format(Math.max(0, Math.round(bytes || 0)), 'byte', 0);
  let value = bytes;
  let index = -1;
  // Decimal units, as file managers and the "kB"/"MB" symbols mean them.
  while (value >= 1000 && index < UNITS.length - 1) {
    value /= 1000;
    index += 1;
  }
  // A rounding that reaches 1000 moves up a unit ("1,000 kB" reads as "1 MB").
  if (Math.round(value * 10) / 10 >= 1000 && index < UNITS.length - 1) {
    value /= 1000;
    index += 1;
  }
  return format(value, UNITS[index], value < 100 ? 1 : 0);
}
