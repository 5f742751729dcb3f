package main

import (
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

// registered are the suppliers this build of syncd talks to, in the
// default order of preference (SYNCD_SUPPLIER_PREFERENCE). Each adapter
// describes itself: its settings, what enables it, how to open it and
// what it can do. Adding a supplier is its package and one line here;
// this is the one file outside suppliers/ that names any.
var registered = []suppliers.Descriptor{
	senpay.Descriptor,
	isipay.Descriptor,
}
