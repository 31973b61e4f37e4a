import { createTestHotConfig } from './static-hot-config';

describe('createTestHotConfig', () => {
  it('drives subscribers, iterations and ready without etcd', async () => {
    const hot = createTestHotConfig<{ port: number }>();
    expect(() => hot.current).toThrow(expect.objectContaining({ code: 'CONFIG_NOT_READY' }));
    const seen: number[] = [];
    hot.subscribe((c) => seen.push(c.value.port));
    const iterated: number[] = [];
    const loop = (async () => {
      for await (const change of hot) iterated.push(change.value.port);
    })();
    hot.set({ port: 1 });
    expect(await hot.ready).toEqual({ port: 1 });
    hot.set({ port: 2 });
    expect(hot.lastChange?.diff.changed).toEqual([{ path: 'port', from: 1, to: 2 }]);
    expect(hot.version).toBe(2);
    await hot.close();
    await loop;
    expect(seen).toEqual([1, 2]);
    expect(iterated).toEqual([1, 2]);
    hot.set({ port: 3 }); // ignored after close
    expect(hot.current).toEqual({ port: 2 });
  });
});
