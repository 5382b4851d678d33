package main

import (
	"runtime/debug"
)

// version is the release version, set at build time with
// -ldflags "-X main.version=v1.2.3" (task image does). Empty means "work it out from
// the build information Go embeds".
var version = ""

// currentVersion is the version kontor reports: the -ldflags version when one was
// set, else the module version of a `go install`ed release, else the commit Go
// recorded from version control ("dev-1a2b3c4d5e6f", "-dirty" when the work tree had
// uncommitted changes), else "dev".
func currentVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(version, bi)
}

// versionFrom is currentVersion with its inputs passed in, for tests.
func versionFrom(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev-" + rev
	if dirty {
		v += "-dirty"
	}
	return v
}
