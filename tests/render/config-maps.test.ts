import { describe, expect, it } from 'vitest';
import { CONFIG_MAP_DATA_BUDGET, splitIntoConfigMaps } from '../../src/render/config-maps.js';

const base = { labels: { 'app.kubernetes.io/managed-by': 'cronops' } };
const file = (name: string, bytes: number) => ({
  path: `dir/${name}`,
  text: 'x'.repeat(bytes - Buffer.byteLength(name)),
});

describe('render/config-maps', () => {
  it('keeps everything in one ConfigMap named without a suffix while it fits', () => {
    const split = splitIntoConfigMaps([file('a.yaml', 100), file('b.yaml', 200)], 'm', base);
    expect(split.unfit).toEqual([]);
    expect(split.configMaps.map((c) => [c.metadata.name, Object.keys(c.data)])).toEqual([
      ['m', ['a.yaml', 'b.yaml']],
    ]);
  });

  it.each([
    // [sizes of the files, names of the files in each ConfigMap]
    [[CONFIG_MAP_DATA_BUDGET], [['f0.yaml']]],
    [
      [CONFIG_MAP_DATA_BUDGET, 1 + 7],
      [['f0.yaml'], ['f1.yaml']],
    ],
    [
      [CONFIG_MAP_DATA_BUDGET / 2, CONFIG_MAP_DATA_BUDGET / 2, 8],
      [['f0.yaml', 'f1.yaml'], ['f2.yaml']],
    ],
    [
      [600_000, 600_000, 300_000],
      [['f0.yaml'], ['f1.yaml', 'f2.yaml']],
    ],
  ])('packs files of %j bytes in order into %j', (sizes, groups) => {
    const files = sizes.map((bytes, i) => file(`f${i}.yaml`, bytes));
    const split = splitIntoConfigMaps(files, 'm', base);
    expect(split.unfit).toEqual([]);
    expect(split.configMaps.map((c) => Object.keys(c.data))).toEqual(groups);
    if (groups.length > 1)
      expect(split.configMaps.map((c) => c.metadata.name)).toEqual(
        groups.map((_, i) => `m-${i + 1}`),
      );
  });

  it('refuses a file larger than one ConfigMap holds, and a name that is not a key', () => {
    const split = splitIntoConfigMaps(
      [file('big.yaml', CONFIG_MAP_DATA_BUDGET + 1), file('my job.yaml', 50), file('ok.yaml', 50)],
      'm',
      { ...base, namespace: 'batch' },
    );
    expect(split.unfit).toEqual([
      {
        path: 'dir/big.yaml',
        reason: expect.stringMatching(
          /^the file is 1032193 bytes; one ConfigMap holds at most 1032192/,
        ),
      },
      {
        path: 'dir/my job.yaml',
        reason: expect.stringMatching(/"my job.yaml" is not a ConfigMap key/),
      },
    ]);
    expect(split.configMaps).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'm', namespace: 'batch', labels: base.labels },
        data: { 'ok.yaml': 'x'.repeat(43) },
      },
    ]);
  });
});
