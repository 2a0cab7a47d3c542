/** The call grid's geometry (web/app/layout.ts), without a browser: what fills a stage, and how. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitColumns, gridRects, layoutTiles, type Rect } from '../web/app/layout.js';

const STAGE: Rect = { x: 0, y: 0, width: 1264, height: 712 }; // 1280×800 less the control bar
const PHONE: Rect = { x: 0, y: 0, width: 374, height: 756 };
const area = (r: Rect) => r.width * r.height;
const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('the call grid', () => {
  it('one person fills the stage; two sit side by side on a wide screen and stack on a tall one', () => {
    assert.deepEqual(gridRects(1, STAGE, 8), [STAGE]);
    assert.equal(fitColumns(2, STAGE.width, STAGE.height, 8), 2);
    assert.equal(fitColumns(2, PHONE.width, PHONE.height, 8), 1);
  });

  it('up to 8 people make a balanced grid: no row holds two more than another', () => {
    for (let n = 1; n <= 8; n++) {
      const columns = fitColumns(n, STAGE.width, STAGE.height, 8);
      const rows = Math.ceil(n / columns);
      assert.ok(rows * columns - n < columns, `${n}: ${columns}×${rows} leaves a whole row empty`);
    }
    // On a laptop, 3-3-2 shows 16:9 video larger than 4-4 would.
    assert.equal(fitColumns(8, STAGE.width, STAGE.height, 8), 3);
  });

  it('tiles never overlap and stay inside the stage, pinned or not', () => {
    for (let n = 1; n <= 8; n++) {
      for (const pinned of [null, 0, n - 1]) {
        for (const stage of [STAGE, PHONE]) {
          const rects = layoutTiles(n, stage, 8, pinned);
          assert.equal(rects.length, n);
          for (const [i, r] of rects.entries()) {
            assert.ok(r.x >= -0.01 && r.y >= -0.01, `${n}/${pinned}: tile ${i} starts inside`);
            assert.ok(
              r.x + r.width <= stage.width + 0.01 && r.y + r.height <= stage.height + 0.01,
              `tile ${i} ends inside`,
            );
            for (const other of rects.slice(i + 1)) assert.ok(!overlaps(r, other), `${n}/${pinned}: tiles overlap`);
          }
        }
      }
    }
  });

  it('a short last row is centred', () => {
    const [a, b, c] = gridRects(3, STAGE, 8);
    assert.equal(a.y, b.y);
    assert.ok(Math.abs(c.x + c.width / 2 - STAGE.width / 2) < 0.01, 'the third tile sits in the middle');
  });

  it('a pinned tile takes most of the stage; the others share a strip', () => {
    const rects = layoutTiles(6, STAGE, 8, 2);
    const others = rects.filter((_, i) => i !== 2);
    assert.ok(area(rects[2]) > 0.6 * area(STAGE));
    for (const r of others) assert.ok(Math.abs(r.width / r.height - 16 / 9) < 0.01, 'strip tiles are 16:9');
  });
});
