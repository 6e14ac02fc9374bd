/**
 * The audio queue's order: the album as it is, or shuffled with the chosen track first. Pure,
 * so next/previous/shuffle are tested without a browser.
 */
export function playOrder(length: number, first: number, shuffle: boolean, random: () => number = Math.random): number[] {
  const order = Array.from({ length }, (_, i) => i);
  if (!shuffle || length < 2) return order;
  const rest = order.filter((i) => i !== first);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [first, ...rest];
}

/** Where in `order` the next track is, or null at the end. */
export function nextPosition(order: number[], at: number): number | null {
  return at + 1 < order.length ? at + 1 : null;
}

/**
 * "Previous" as players do it: past the first few seconds it restarts the track; otherwise the
 * track before (or the same one at the start of the queue).
 */
export function previousPosition(at: number, positionMs: number, restartAfterMs = 3000): { at: number; restart: boolean } {
  if (positionMs > restartAfterMs || at === 0) return { at, restart: true };
  return { at: at - 1, restart: false };
}

/** Switching shuffle on or off keeps the current track playing and reorders the rest. */
export function reshuffle(order: number[], at: number, shuffle: boolean, random: () => number = Math.random): { order: number[]; at: number } {
  const current = order[at];
  if (shuffle) {
    const played = order.slice(0, at);
    const rest = order.slice(at + 1);
    const mixed = playOrder(rest.length + 1, 0, true, random).slice(1).map((i) => rest[i - 1]);
    return { order: [...played, current, ...mixed], at };
  }
  const plain = [...order].sort((a, b) => a - b);
  return { order: plain, at: plain.indexOf(current) };
}
