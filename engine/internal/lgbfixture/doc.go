// Package lgbfixture builds LightGBM model variants for the engine's
// tests: LightGBM's own fixtures leave some decision paths unexercised.
package lgbfixture
