package senpaysim

import _ "embed"

// DemoCatalog is the catalog `syncd demo` serves, and the one tests use
// (LoadCatalog reads it): a slice of Senpay's real providers, embedded so
// that the demo runs from any directory with nothing to set up.
//
//go:embed demo.json
var DemoCatalog []byte
