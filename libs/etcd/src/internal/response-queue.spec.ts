import { getEventListeners } from 'node:events';
import { ResponseQueue } from './response-queue';

describe('ResponseQueue', () => {
  it('hands items over in order, waiting for the ones not pushed yet', async () => {
    const queue = new ResponseQueue<number>();
    const signal = new AbortController().signal;
    queue.push(1);
    expect(await queue.next(signal)).toBe(1);
    const waiting = queue.next(signal);
    queue.push(2);
    queue.push(3);
    expect(await waiting).toBe(2);
    expect(await queue.next(signal)).toBe(3);
  });

  it('ends after the queued items, and fails after them with the error', async () => {
    const signal = new AbortController().signal;
    const ended = new ResponseQueue<number>();
    ended.push(1);
    ended.end();
    expect(await ended.next(signal)).toBe(1);
    expect(await ended.next(signal)).toBeUndefined();

    const failed = new ResponseQueue<number>();
    failed.push(1);
    failed.fail(new Error('stream broke'));
    expect(await failed.next(signal)).toBe(1);
    await expect(failed.next(signal)).rejects.toThrow('stream broke');
  });

  it('takes queued items without waiting, and nothing once empty, ended or aborted', async () => {
    const queue = new ResponseQueue<number>();
    const controller = new AbortController();
    expect(queue.take(controller.signal)).toBeUndefined();
    queue.push(1);
    queue.push(2);
    expect(queue.take(controller.signal)).toBe(1);
    controller.abort();
    expect(queue.take(controller.signal)).toBeUndefined();
    const signal = new AbortController().signal;
    expect(queue.take(signal)).toBe(2);
    queue.fail(new Error('stream broke'));
    expect(queue.take(signal)).toBeUndefined();
    await expect(queue.next(signal)).rejects.toThrow('stream broke');
  });

  it('rejects a waiting next when its signal aborts', async () => {
    const queue = new ResponseQueue<number>();
    const controller = new AbortController();
    const waiting = queue.next(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('keeps one abort listener however often it waits, and none once ended', async () => {
    const queue = new ResponseQueue<number>();
    const signal = new AbortController().signal;
    for (let i = 0; i < 100; i++) {
      const waiting = queue.next(signal);
      queue.push(i);
      expect(await waiting).toBe(i);
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    queue.end();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
