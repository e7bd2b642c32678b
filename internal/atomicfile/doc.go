// Package atomicfile replaces files atomically (temp file, fsync, rename,
// directory fsync). It imports the standard library only, so client-side
// packages (the console's timeline export) can use it.
package atomicfile
