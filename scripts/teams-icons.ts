// Draws the Teams app icons (teams/color.png 192x192, teams/outline.png 32x32) that teams/manifest.json names.
// Run with `npx tsx scripts/teams-icons.ts`; the PNGs are committed, so this runs only when the design changes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

/** A padlock in a unit square: shackle (a ring's upper half) over a body with a keyhole. */
function padlock(x: number, y: number): 'body' | 'keyhole' | 'shackle' | null {
  const inBody = x >= 0.2 && x <= 0.8 && y >= 0.45 && y <= 0.88;
  if (inBody) {
    const keyhole = Math.hypot(x - 0.5, y - 0.6) < 0.06 || (Math.abs(x - 0.5) < 0.025 && y >= 0.6 && y <= 0.76);
    return keyhole ? 'keyhole' : 'body';
  }
  const r = Math.hypot(x - 0.5, y - 0.45);
  if (y <= 0.45 && r >= 0.14 && r <= 0.22) return 'shackle';
  if (y > 0.45 && y < 0.5 && ((x >= 0.28 && x <= 0.36) || (x >= 0.64 && x <= 0.72))) return 'shackle';
  return null;
}

function draw(size: number, paint: (part: ReturnType<typeof padlock>, x: number, y: number) => Rgba): Buffer {
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size;
      const y = (py + 0.5) / size;
      row.set(paint(padlock(x, y), x, y), 1 + px * 4);
    }
    rows.push(row);
  }
  return png(size, size, Buffer.concat(rows));
}

function png(width: number, height: number, raw: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const dir = path.join(import.meta.dirname, '..', 'teams');
const INDIGO: Rgba = [70, 71, 117, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];
// Color icon: a white padlock on Teams indigo, full bleed (Teams rounds the corners itself).
writeFileSync(path.join(dir, 'color.png'), draw(192, (part) => (part === 'body' || part === 'shackle' ? WHITE : INDIGO)));
// Outline icon: white on transparent, as Teams requires.
writeFileSync(path.join(dir, 'outline.png'), draw(32, (part) => (part === 'body' || part === 'shackle' ? WHITE : CLEAR)));
