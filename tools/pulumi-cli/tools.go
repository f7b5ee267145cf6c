//go:build tools

// Package tools only names the main package scripts/bootstrap builds.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
