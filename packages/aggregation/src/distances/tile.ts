/**
 * Coordinates per tile (even, so every tile starts on an even coordinate and lanes stay aligned with k mod 2).
 * 512 float32 × 100 vectors is 200 KB, which stays in a 512 KB-1 MB L2 while every pair visits the tile.
 * Results do not depend on it: tiling only reorders work between pairs, never within a pair's lanes.
 */
export const TILE_LENGTH = 512
