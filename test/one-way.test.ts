/** The type-narrowing table of no-narrowing-type-change, pair by pair (fixtures cover the engine path). */
import { describe, expect, it } from 'vitest';
import { narrowing } from '../rules/migration/no-narrowing-type-change.js';
import type { ColumnType } from '../src/sql/ast.js';

const t = (name: string, ...mods: number[]): ColumnType => ({ name, mods, array: false });

describe('no-narrowing-type-change: narrowing()', () => {
  const narrowed: Array<[ColumnType, ColumnType]> = [
    [t('text'), t('varchar', 50)],
    [t('varchar'), t('varchar', 50)],
    [t('varchar', 255), t('varchar', 100)],
    [t('bpchar', 10), t('bpchar', 2)],
    [t('int8'), t('int4')],
    [t('int8'), t('int2')],
    [t('int4'), t('int2')],
    [t('bigserial'), t('int4')],
    [t('int4'), t('numeric', 8, 0)],
    [t('int8'), t('numeric', 12, 2)],
    [t('int8'), t('float8')],
    [t('int4'), t('float4')],
    [t('numeric'), t('int8')],
    [t('numeric', 12, 2), t('float8')],
    [t('numeric'), t('numeric', 10, 2)],
    [t('numeric', 12, 4), t('numeric', 12, 2)],
    [t('numeric', 12, 2), t('numeric', 8, 2)],
    [t('float8'), t('float4')],
    [t('float8'), t('int4')],
    [t('timestamptz'), t('timestamp')],
    [t('timestamptz'), t('date')],
    [t('timestamp'), t('date')],
    [t('timetz'), t('time')],
    [t('timestamp'), t('timestamp', 0)],
    [t('timestamptz', 6), t('timestamptz', 3)],
    [t('int4'), t('bool')],
    [t('text'), t('bool')],
  ];
  it.each(narrowed.map(([a, b]) => [`${a.name}(${a.mods}) → ${b.name}(${b.mods})`, a, b] as const))('%s narrows', (_, a, b) => {
    expect(narrowing(a, b)).toBeDefined();
  });

  const kept: Array<[ColumnType, ColumnType]> = [
    [t('varchar', 50), t('varchar', 100)],
    [t('varchar', 50), t('text')],
    [t('varchar', 50), t('varchar')],
    [t('text'), t('varchar')],
    [t('int4'), t('int8')],
    [t('int2'), t('int4')],
    [t('int4'), t('numeric')],
    [t('int4'), t('numeric', 12, 0)],
    [t('int4'), t('float8')],
    [t('int2'), t('float4')],
    [t('numeric', 10, 2), t('numeric', 12, 2)],
    [t('numeric', 10, 2), t('numeric')],
    [t('float4'), t('float8')],
    [t('timestamp'), t('timestamptz')],
    [t('timestamp', 0), t('timestamp', 6)],
    [t('date'), t('timestamptz')],
    [t('bool'), t('bool')],
    [t('text'), t('int4')], // data-dependent, not narrowing: left alone
    [t('uuid'), t('bool')], // not a known scalar
    [t('bpchar'), t('bpchar', 1)], // ambiguous length
    [{ name: 'text', mods: [], array: true }, t('varchar', 10)], // array-ness changes
  ];
  it.each(kept.map(([a, b]) => [`${a.name}(${a.mods})${a.array ? '[]' : ''} → ${b.name}(${b.mods})`, a, b] as const))('%s keeps every value', (_, a, b) => {
    expect(narrowing(a, b)).toBeUndefined();
  });
});
