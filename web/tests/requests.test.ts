import { describe, expect, it } from 'vitest';
import { chosenSeasons, formatSeasons, parseSeasons, pictureOf, statusTone } from '../src/lib/requests';

describe('statusTone', () => {
  it('is loud where the viewer has something to do', () => {
    expect(statusTone('pending', true)).toBe('attention');
    expect(statusTone('available', false)).toBe('ready');
  });
  it('keeps approved and downloading calm for both, and pending quiet for the requester', () => {
    for (const admin of [true, false]) {
      expect(statusTone('approved', admin)).toBe('progress');
      expect(statusTone('processing', admin)).toBe('progress');
      expect(statusTone('denied', admin)).toBe('refused');
    }
    expect(statusTone('pending', false)).toBe('waiting');
    expect(statusTone('available', true)).toBe('done');
  });
});

describe('parseSeasons', () => {
  it('reads numbers and ranges in any order, without repeats', () => {
    expect(parseSeasons('1-3, 5')).toEqual([1, 2, 3, 5]);
    expect(parseSeasons('5 2,2;1–2')).toEqual([1, 2, 5]);
    expect(parseSeasons(' 0 ')).toEqual([0]);
  });
  it('takes nothing as the whole series', () => {
    expect(parseSeasons('')).toEqual([]);
    expect(parseSeasons(' , ')).toEqual([]);
  });
  it('refuses what it cannot read', () => {
    expect(parseSeasons('one')).toBeNull();
    expect(parseSeasons('3-1')).toBeNull();
    expect(parseSeasons('-2')).toBeNull();
    expect(parseSeasons('1.5')).toBeNull();
    expect(parseSeasons('1000')).toBeNull();
    expect(parseSeasons('0-999')).toBeNull(); // more than 200 seasons
  });
});

describe('formatSeasons', () => {
  it('joins runs into ranges', () => {
    expect(formatSeasons([5, 1, 2, 3])).toBe('1–3, 5');
    expect(formatSeasons([1, 3, 5])).toBe('1, 3, 5');
    expect(formatSeasons([0, 1, 1])).toBe('0–1');
    expect(formatSeasons([])).toBe('');
  });
  it('round-trips with parseSeasons', () => {
    expect(parseSeasons(formatSeasons([1, 2, 3, 7, 9, 10]))).toEqual([1, 2, 3, 7, 9, 10]);
  });
});

describe('pictureOf', () => {
  const artwork = { thumb: '/a/160', poster: '/a/320', large: '/a/640' };
  it('prefers the library artwork, then the TMDB poster', () => {
    expect(pictureOf({ artwork, poster_url: 'https://image.tmdb.org/p.jpg' })).toBe('/a/160');
    expect(pictureOf({ artwork, poster_url: null }, 'poster')).toBe('/a/320');
    expect(pictureOf({ artwork: null, poster_url: 'https://image.tmdb.org/p.jpg' })).toBe('https://image.tmdb.org/p.jpg');
    expect(pictureOf({})).toBeNull();
  });
});

describe('chosenSeasons', () => {
  it('is null for the whole series, else the sorted picks', () => {
    expect(chosenSeasons(true, [1, 2])).toBeNull();
    expect(chosenSeasons(false, [3, 1, 3])).toEqual([1, 3]);
    expect(chosenSeasons(false, [])).toEqual([]);
  });
});
