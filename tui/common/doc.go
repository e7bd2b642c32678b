// Package common owns what every console view shares: the Common context
// (styles, clock, ASCII mode); Base, the plumbing each view embeds (body
// size, `/` filter, data age, the refresh in-flight guard, the fetch's
// error and "not configured", the status line, the empty-table states);
// number and age formatting; and Table, a windowed table renderer that
// drops low-priority columns on narrow terminals and renders only the rows
// on screen, so View() stays cheap with thousands of rows.
package common
