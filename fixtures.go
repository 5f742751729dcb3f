package syncd

import _ "embed"

// The simulators' demo catalogs, embedded so that `syncd demo` runs from any
// directory with nothing to set up. Tests read the same files from testdata/.
var (
	//go:embed testdata/senpay/catalog.json
	SenpayDemoCatalog []byte
	//go:embed testdata/isipay/catalog.json
	IsipayDemoCatalog []byte
)
