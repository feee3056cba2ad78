// Package registry holds the plugin value a world package exported, for the
// generated export functions to call.
package registry

// Plugin is the value passed to the world's Export function.
var Plugin any
