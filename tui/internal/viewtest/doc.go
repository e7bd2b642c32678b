// Package viewtest holds test helpers shared by the console's view
// packages: running a view's commands as the Bubble Tea loop would.
package viewtest
