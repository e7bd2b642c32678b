// Package common owns what every console view shares: the Common context
// (styles, clock, ASCII mode), number and age formatting, and Table, a
// windowed table renderer that drops low-priority columns on narrow
// terminals and renders only the rows on screen, so View() stays cheap with
// thousands of rows.
package common
