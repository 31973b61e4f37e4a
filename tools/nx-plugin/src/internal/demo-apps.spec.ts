import { withAppName } from './demo-apps';

describe('withAppName', () => {
  it('adds the name to the one-line union once', () => {
    const text = "x\nexport type AppName = 'a' | 'b';\ny\n";
    expect(withAppName(text, 'c')).toBe("x\nexport type AppName = 'a' | 'b' | 'c';\ny\n");
    expect(withAppName(text, 'a')).toBe(text);
  });

  it('leaves any other shape alone', () => {
    expect(withAppName("export type AppName =\n  | 'a'\n  | 'b';\n", 'c')).toBeUndefined();
    expect(withAppName('export type AppName = (typeof APPS)[number];\n', 'c')).toBeUndefined();
  });
});
