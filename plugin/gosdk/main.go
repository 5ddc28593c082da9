// Command gosdk writes the Go SDK of the gitguardian-backup plugin from the plugin's schema.
//
// `pulumi package gen-sdk --language go` (and `pulumi package add` in a Go project) do the same
// through the pulumi-language-go plugin; this program calls the code generator that plugin uses
// (github.com/pulumi/pulumi/pkg/v3/codegen/go) directly, so the SDK can be generated and
// compiled where that plugin is not installed (the test suite: it is not served here).
//
//	gosdk -schema schema.json -module example.com/gitguardian-backup -out DIR
//
// DIR becomes a Go module: go.mod (module -module, requiring the Pulumi Go SDK this program
// was built with) and the package in DIR/gitguardianbackup.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/blang/semver"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const pulumiSDK = "github.com/pulumi/pulumi/sdk/v3"

// packageDir is the SDK's package inside its module: import "<module>/gitguardianbackup".
const packageDir = "gitguardianbackup"

func main() {
	schemaPath := flag.String("schema", "", "the plugin's schema (pulumi package get-schema)")
	module := flag.String("module", "", "the Go module path of the SDK")
	out := flag.String("out", "", "the folder to write the SDK module into")
	flag.Parse()
	if *schemaPath == "" || *module == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := generate(*schemaPath, *module, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gosdk:", err)
		os.Exit(1)
	}
}

func generate(schemaPath, module, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if err := setGoModule(&spec, module); err != nil {
		return err
	}
	pkg, diags, err := schema.BindSpec(spec, selfContained{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("the schema does not bind: %s", diags.Error())
	}
	files, err := gogen.GeneratePackage("gitguardian-backup-gosdk", pkg, nil)
	if err != nil {
		return err
	}
	sdkVersion, err := linkedPulumiSDK()
	if err != nil {
		return err
	}
	// The generator's go.mod (written only for "pack" SDKs) pins an SDK version of its own; the
	// SDK module requires the one this program was built and tested with instead.
	delete(files, "go.mod")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	goMod := fmt.Sprintf("module %s\n\ngo 1.25\n\nrequire %s %s\n", module, pulumiSDK, sdkVersion)
	if err := os.WriteFile(filepath.Join(out, "go.mod"), []byte(goMod), 0o644); err != nil {
		return err
	}
	// The generator names files relative to the package's import path (importBasePath).
	for name, content := range files {
		target := filepath.Join(out, packageDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// setGoModule sets language.go.importBasePath to the package folder inside module, keeping
// the schema's other Go settings.
func setGoModule(spec *schema.PackageSpec, module string) error {
	settings := map[string]any{}
	if existing, ok := spec.Language["go"]; ok {
		if err := json.Unmarshal(existing, &settings); err != nil {
			return fmt.Errorf("language.go: %w", err)
		}
	}
	settings["importBasePath"] = module + "/" + packageDir
	settings["rootPackageName"] = packageDir
	encoded, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	spec.Language["go"] = encoded
	return nil
}

// linkedPulumiSDK is the version of github.com/pulumi/pulumi/sdk/v3 in this program's build.
func linkedPulumiSDK() (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("no build information in this binary")
	}
	for _, dep := range info.Deps {
		if dep.Path == pulumiSDK {
			if dep.Replace != nil {
				return dep.Replace.Version, nil
			}
			return dep.Version, nil
		}
	}
	return "", fmt.Errorf("%s is not in this binary's build", pulumiSDK)
}

// selfContained is the loader of a schema that refers to no other package: the plugin's types
// are all its own, so a reference to another package is a mistake in the schema.
type selfContained struct{}

func (selfContained) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; the gitguardian-backup schema must be self-contained", name)
}

func (l selfContained) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, nil)
}
