// The cache behind the per-text caches of VTIMEZONEs: it keeps the most
// recently used entries within a count and a total weight, whatever comes.

import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/ical/bounded-cache.js';

describe('BoundedCache', () => {
  it('drops the least recently used entry when the count is reached', () => {
    const cache = new BoundedCache<string, number>(3, 1_000, 1_000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    // Reading "a" makes "b" the least recently used.
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it('keeps the total weight within its bound, dropping the oldest first', () => {
    const cache = new BoundedCache<string, string>(100, 10, 10);
    cache.set('one', 'x', 4);
    cache.set('two', 'y', 4);
    expect(cache.totalWeight).toBe(8);
    cache.set('three', 'z', 4);
    expect(cache.get('one')).toBeUndefined();
    expect(cache.get('two')).toBe('y');
    expect(cache.get('three')).toBe('z');
    expect(cache.totalWeight).toBe(8);
  });

  it('weighs an entry by the length of its key unless told', () => {
    const cache = new BoundedCache<string, number>(100, 1_000);
    cache.set('abcd', 1);
    cache.set('ef', 2);
    expect(cache.totalWeight).toBe(6);
  });

  it('does not keep an entry heavier than its share, and forgets what that key held', () => {
    const cache = new BoundedCache<string, number>(100, 1_600);
    cache.set('small', 1);
    cache.set('big', 2, 101);
    expect(cache.get('big')).toBeUndefined();
    expect(cache.get('small')).toBe(1);
    cache.set('small', 3, 500);
    expect(cache.get('small')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.totalWeight).toBe(0);
  });

  it('counts a replaced entry once', () => {
    const cache = new BoundedCache<string, number>(100, 1_000, 1_000);
    cache.set('key', 1, 10);
    cache.set('key', 2, 30);
    expect(cache.get('key')).toBe(2);
    expect(cache.size).toBe(1);
    expect(cache.totalWeight).toBe(30);
    cache.clear();
    expect([cache.size, cache.totalWeight]).toEqual([0, 0]);
  });

  it('takes number keys, each weighing one unless told', () => {
    const cache = new BoundedCache<number, string>(2, 1_000, 1_000);
    cache.set(7, 'seven');
    cache.set(8, 'eight');
    cache.set(9, 'nine');
    expect([cache.get(7), cache.get(8), cache.get(9)]).toEqual([undefined, 'eight', 'nine']);
    expect(cache.totalWeight).toBe(2);
  });
});
