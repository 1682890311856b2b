// "Exactly one of these keys": a check for strict objects, remembered so the JSON Schema can say it too.
import { z } from 'zod';

/** The objects that need exactly one of some keys; json-schema.ts turns these into `oneOf`. */
export const EXACTLY_ONE_OF = new Map<z.ZodType, readonly string[]>();

/**
 * A strict object that must hold exactly one of `keys` (`what` names the object in messages).
 * The check runs even when other fields have errors, so every problem is reported at once.
 */
export function requireExactlyOne<T extends z.ZodObject>(
  schema: T,
  keys: readonly string[],
  what: string,
): T {
  const checked = schema.check(
    z.superRefine(
      (value: unknown, ctx) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
        const present = keys.filter((key) => Object.hasOwn(value, key));
        if (present.length === 1) return;
        const choices = `${keys.slice(0, -1).join(', ')} or ${keys.at(-1) ?? ''}`;
        ctx.addIssue({
          code: 'custom',
          input: value,
          message: `${what} needs exactly one of ${choices}, got ${present.length === 0 ? 'none' : present.join(' and ')}`,
        });
      },
      { when: () => true },
    ),
  );
  EXACTLY_ONE_OF.set(checked, keys);
  return checked;
}
