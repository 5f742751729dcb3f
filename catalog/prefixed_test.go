package catalog

// testPrefixed are the suppliers whose product codes begin with their
// game's code, as their descriptors say (catalog's tests cannot import the
// adapters, which import catalog).
var testPrefixed = map[string]bool{"senpay": true}
