/** What the demo publishes to `dev/greeter` at start (see `greetingConfigSchema` in apps/greeter). */
export const DEFAULT_GREETER_CONFIG = {
  template: 'Hello, {name}! (from {instance})',
  maxNameLength: 100,
} as const;
