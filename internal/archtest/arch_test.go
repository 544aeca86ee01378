// Package archtest holds the tests of the code's shape: the import rules
// between packages and the size limits of the bot's own code.
package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Size limits of the bot's own production code (the test fakes aside).
const (
	maxFileLines = 400
	maxFuncLines = 60
)

// exempt are the test fakes: they play whole outside services.
var exempt = map[string]bool{"internal/fakeslack": true, "internal/fakedcs": true}

// sourceFile is one non-test Go file of the module.
type sourceFile struct {
	path string // relative to the module root, with /
	dir  string
	fset *token.FileSet
	ast  *ast.File
}

func sources(t *testing.T) []sourceFile {
	t.Helper()
	root := filepath.Join("..", "..")
	var out []sourceFile
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			out = append(out, sourceFile{path: rel, dir: filepath.ToSlash(filepath.Dir(rel)), fset: fset, ast: f})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 50 {
		t.Fatalf("found only %d source files: is the test running from internal/archtest?", len(out))
	}
	return out
}

func TestSizes(t *testing.T) {
	for _, f := range sources(t) {
		if exempt[f.dir] {
			continue
		}
		data, err := os.ReadFile(filepath.Join("..", "..", f.path))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), "\n"); n > maxFileLines {
			t.Errorf("%s: %d lines, at most %d", f.path, n, maxFileLines)
		}
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := f.fset.Position(fn.End()).Line - f.fset.Position(fn.Pos()).Line + 1
			if lines > maxFuncLines {
				t.Errorf("%s: func %s is %d lines, at most %d", f.path, fn.Name.Name, lines, maxFuncLines)
			}
		}
	}
}

// outside names the packages that speak to an outside system.
var outside = map[string]string{
	"github.com/slack-go/slack":                 "Slack",
	"github.com/huaweicloud/huaweicloud-sdk-go": "the Huawei SDK",
	"database/sql":                              "SQL",
	"github.com/jackc/pgx":                      "SQL",
	"modernc.org/sqlite":                        "SQL",
	"github.com/pressly/goose":                  "SQL",
}

func outsideOf(imp string) string {
	for prefix, what := range outside {
		if imp == prefix || strings.HasPrefix(imp, prefix+"/") || strings.HasPrefix(imp, prefix+"-") {
			return what
		}
	}
	return ""
}

// TestImports checks the rules docs/ARCHITECTURE.md states: the domain and
// the parser import no Slack, SQL or SDK package; store backends import
// neither Slack nor the SDK; the DCS client and the Slack edge do not import
// each other.
func TestImports(t *testing.T) {
	for _, f := range sources(t) {
		for _, spec := range f.ast.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			what := outsideOf(imp)
			switch {
			case (f.dir == "internal/approvals" || f.dir == "internal/commands") && what != "":
				t.Errorf("%s imports %s (%s): the domain and the parser stay free of outside systems", f.path, imp, what)
			case strings.HasPrefix(f.dir, "internal/store") && (what == "Slack" || what == "the Huawei SDK"):
				t.Errorf("%s imports %s: store backends know neither Slack nor DCS", f.path, imp)
			case f.dir == "internal/dcs" && strings.HasPrefix(imp, "dcsbot/internal/slackbot"),
				f.dir == "internal/slackbot" && strings.HasPrefix(imp, "dcsbot/internal/dcs"):
				t.Errorf("%s imports %s: the DCS client and the Slack edge do not import each other", f.path, imp)
			case f.dir == "internal/approvals" && imp == "dcsbot/internal/commands":
				t.Errorf("%s imports %s: the lifecycle takes its own types, not the parser's", f.path, imp)
			}
		}
	}
}
