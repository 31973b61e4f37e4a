import { checkName, DEFAULT_GREETING_CONFIG, greetingConfigSchema, renderGreeting } from './greeting';

describe('greeting', () => {
  it('renders {name} and {instance} literally, everywhere', () => {
    expect(renderGreeting('Hi {name}, {name}! ({instance})', { name: 'Ada', instance: 'g1' })).toBe('Hi Ada, Ada! (g1)');
    expect(renderGreeting('Hello, {name}!', { name: '$& $1 {instance}', instance: 'g1' })).toBe('Hello, $& $1 {instance}!');
  });

  it('refuses empty and too long names with a reason', () => {
    expect(checkName('  ', 10)).toBe('name must not be empty');
    expect(checkName('abcdefghijk', 10)).toBe('name must be at most 10 characters');
    expect(checkName('😀'.repeat(10), 10)).toBeUndefined();
    expect(checkName('Ada', 10)).toBeUndefined();
  });

  it('accepts only templates with {name}, and the default is valid', () => {
    expect(greetingConfigSchema.parse(DEFAULT_GREETING_CONFIG)).toEqual({ template: 'Hello, {name}!', maxNameLength: 100 });
    expect(greetingConfigSchema.safeParse({ template: 'Hello!' }).success).toBe(false);
    expect(greetingConfigSchema.safeParse({ template: 'Hi {name}', maxNameLength: 0 }).success).toBe(false);
  });
});
