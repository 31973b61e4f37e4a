import { z } from 'zod';

/** The greeter's document in the config center (namespace `CONFIG_NAMESPACE`). */
export const greetingConfigSchema = z.object({
  /** `{name}` is replaced by the name, `{instance}` by the replica's name. */
  // A regex, not a refine: it has a JSON Schema form, so the stored schema (checked by
  // `epctl config publish`) refuses a template without {name} too.
  template: z.string().min(1).max(500).regex(/\{name\}/, 'must contain {name}'),
  /** Longest name accepted (INVALID_ARGUMENT beyond). */
  maxNameLength: z.number().int().min(1).max(1000).default(100),
});

export type GreetingConfig = z.output<typeof greetingConfigSchema>;

/** Used until a config is published. */
export const DEFAULT_GREETING_CONFIG: z.input<typeof greetingConfigSchema> = { template: 'Hello, {name}!' };

/**
 * Renders the template in one pass: every `{name}` and `{instance}` is replaced literally, and
 * placeholders inside the name itself are left alone.
 */
export function renderGreeting(template: string, values: { name: string; instance: string }): string {
  return template.replace(/\{(name|instance)\}/g, (_, key: 'name' | 'instance') => values[key]);
}

/** Why a name is refused, or undefined when it is fine. */
export function checkName(name: string, maxLength: number): string | undefined {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'name must not be empty';
  if ([...trimmed].length > maxLength) return `name must be at most ${maxLength} characters`;
  return undefined;
}
