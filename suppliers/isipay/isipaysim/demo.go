package isipaysim

import _ "embed"

// DemoCatalog is the catalog `syncd demo` serves, and the one tests use
// (LoadCatalog reads it), embedded so that the demo runs from any
// directory with nothing to set up.
//
//go:embed demo.json
var DemoCatalog []byte
