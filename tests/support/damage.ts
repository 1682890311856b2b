// Seeded randomness for generated tests, and damaged copies of a text: the same cases on every run.

/** A small deterministic generator (a linear congruential one), so a failure can be replayed. */
export function createRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export interface DamageOptions {
  /** Characters or strings to insert. */
  pieces: readonly string[];
  /** At most this many edits (at least one). */
  maxEdits: number;
  /** The share of edits that insert a piece; the others delete. */
  insertShare: number;
  /** A deletion removes 1 to this many characters. */
  maxDelete: number;
}

/** `original` with a few random edits: pieces inserted and characters deleted at random places. */
export function damageText(original: string, random: () => number, options: DamageOptions): string {
  let text = original;
  for (let edit = 0; edit < 1 + Math.floor(random() * options.maxEdits); edit++) {
    const at = Math.floor(random() * text.length);
    const piece = options.pieces[Math.floor(random() * options.pieces.length)] ?? '';
    text =
      random() < options.insertShare
        ? text.slice(0, at) + piece + text.slice(at)
        : text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * options.maxDelete));
  }
  return text;
}
