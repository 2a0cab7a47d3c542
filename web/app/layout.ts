/**
 * Where each tile goes on the stage: a balanced grid that fills it, or one pinned tile large with
 * the others in a strip. Pure (sizes in, rectangles out), so it is checked without a browser.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Video is 16:9 from most cameras and screens; the grid is shaped to show that shape biggest. */
export const VIDEO_ASPECT = 16 / 9;

/**
 * The number of columns that shows `count` videos of `aspect` the largest in `width`×`height`,
 * `gap` apart: one person fills the stage, two sit side by side on a wide screen and stack on a
 * tall one, eight make rows of 3-3-2 on a laptop.
 *
 * @example fitColumns(2, 1264, 712, 8) // → 2
 */
export function fitColumns(count: number, width: number, height: number, gap: number, aspect = VIDEO_ASPECT): number {
  let best = 1;
  let bestWidth = -1;
  for (let columns = 1; columns <= Math.max(1, count); columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    const videoWidth = Math.min(cellWidth, cellHeight * aspect);
    if (videoWidth > bestWidth + 0.5) {
      best = columns;
      bestWidth = videoWidth;
    }
  }
  return best;
}

/**
 * Cells that fill the area: every row as tall as the others, a short last row centred. A cell is
 * the tile; the video inside it keeps its own shape (object-fit: contain), so no face is cropped.
 */
export function gridRects(count: number, area: Rect, gap: number): Rect[] {
  if (count === 0) return [];
  const columns = fitColumns(count, area.width, area.height, gap);
  const rows = Math.ceil(count / columns);
  const width = (area.width - gap * (columns - 1)) / columns;
  const height = (area.height - gap * (rows - 1)) / rows;
  const rects: Rect[] = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / columns);
    const inRow = row === rows - 1 ? count - row * columns : columns;
    const indent = ((columns - inRow) * (width + gap)) / 2;
    const column = i % columns;
    rects.push({ x: area.x + indent + column * (width + gap), y: area.y + row * (height + gap), width, height });
  }
  return rects;
}

/**
 * Rectangles for `count` tiles in `stage`; with `pinned` (an index), that tile takes the stage but
 * for a strip of the others — at the side of a wide stage, along the bottom of a tall one.
 */
export function layoutTiles(count: number, stage: Rect, gap: number, pinned: number | null): Rect[] {
  if (pinned === null || pinned >= count || count === 1) return gridRects(count, stage, gap);
  const others = count - 1;
  const wide = stage.width >= stage.height;
  const strip = wide ? Math.min(Math.round(stage.width * 0.22), 280) : Math.min(Math.round(stage.height * 0.22), 200);
  const main: Rect = wide
    ? { ...stage, width: stage.width - strip - gap }
    : { ...stage, height: stage.height - strip - gap };
  const stripArea: Rect = wide
    ? { x: stage.x + main.width + gap, y: stage.y, width: strip, height: stage.height }
    : { x: stage.x, y: stage.y + main.height + gap, width: stage.width, height: strip };
  // The strip keeps its tiles video-shaped (not stretched to fill it), centred along the strip.
  const size = wide
    ? Math.min(strip / VIDEO_ASPECT, (stage.height - gap * (others - 1)) / others)
    : Math.min(strip * VIDEO_ASPECT, (stage.width - gap * (others - 1)) / others);
  const tile = wide ? { width: size * VIDEO_ASPECT, height: size } : { width: size, height: size / VIDEO_ASPECT };
  const run = wide ? others * tile.height + (others - 1) * gap : others * tile.width + (others - 1) * gap;
  const start = wide ? stripArea.y + (stripArea.height - run) / 2 : stripArea.x + (stripArea.width - run) / 2;
  const rects: Rect[] = [];
  let k = 0;
  for (let i = 0; i < count; i++) {
    if (i === pinned) {
      rects.push(main);
      continue;
    }
    const offset = start + k++ * ((wide ? tile.height : tile.width) + gap);
    rects.push(
      wide
        ? { x: stripArea.x + (stripArea.width - tile.width) / 2, y: offset, ...tile }
        : { x: offset, y: stripArea.y + (stripArea.height - tile.height) / 2, ...tile },
    );
  }
  return rects;
}
