// Package deployer derives the IAM policy the identity that runs `pulumi up` needs for a keyage
// stack: it runs the program under mocks (package infratest), takes every resource it registers,
// looks up the actions that resource type needs (Table) and scopes them to the resource's exact
// ARN, built from the physical name the program gives it; the KMS key, whose ID is random, by
// its keyage:stack and keyage:component tags.
//
// It is not the runtime roles' policies (package infra derives those) and it grants nothing
// itself: it prints a document for an administrator to attach.
package deployer

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
)

// Env is the partition, region and account the stack deploys to.
type Env struct {
	Partition, Region, AccountID string
}

// noPermission are the provider functions keyage calls that need no IAM permission: the
// partition, region and service principals are the provider's own data, and
// sts:GetCallerIdentity is allowed to every identity
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
var noPermission = map[string]bool{
	"aws:index/getPartition:getPartition":               true,
	"aws:index/getRegion:getRegion":                     true,
	"aws:index/getServicePrincipal:getServicePrincipal": true,
	"aws:index/getCallerIdentity:getCallerIdentity":     true,
}

// ForStack runs keyage's program for stack with settings s under mocks standing in for env, and
// returns the policy the deploying identity needs for what it registers.
//
// The function's code plays no part in the policy: the program is given a placeholder package,
// so deriving the policy needs neither the Go toolchain nor the module's source.
func ForStack(s config.Checked, stack string, env Env) (infra.PolicyDocument, error) {
	fn, cleanup, err := placeholderFunction()
	if err != nil {
		return infra.PolicyDocument{}, err
	}
	defer cleanup()
	mocks := infratest.New(env.Partition, env.Region, env.AccountID)
	if err := mocks.Run(config.Namespace, stack, infra.Program(infra.ProgramOptions{Settings: &s, Function: fn})); err != nil {
		return infra.PolicyDocument{}, fmt.Errorf("run the program under mocks: %w", err)
	}
	for _, token := range mocks.Invokes() {
		if !noPermission[token] {
			return infra.PolicyDocument{}, fmt.Errorf("the program calls provider function %s: say in deployer.noPermission "+
				"that it needs no permission, or add the actions it needs", token)
		}
	}
	return Policy(mocks.Resources(), env)
}

// emptyZip is a zip archive with no entries: its end-of-central-directory record alone.
var emptyZip = []byte("PK\x05\x06" + strings.Repeat("\x00", 18))

// placeholderFunction writes an empty zip to a temporary directory and returns it as the
// function's package, with a function that removes it.
func placeholderFunction() (infra.FunctionPackage, func(), error) {
	dir, err := os.MkdirTemp("", "keyage-deployer-")
	if err != nil {
		return infra.FunctionPackage{}, nil, fmt.Errorf("write a placeholder function package: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "function.zip")
	if err := os.WriteFile(path, emptyZip, 0o600); err != nil {
		cleanup()
		return infra.FunctionPackage{}, nil, fmt.Errorf("write a placeholder function package: %w", err)
	}
	sum := sha256.Sum256(emptyZip)
	return infra.FunctionPackage{ZipPath: path, SHA256Base64: base64.StdEncoding.EncodeToString(sum[:])}, cleanup, nil
}

// Policy returns the policy that lets a deployer create, read, update and delete resources
// (as registered under infratest's mocks) in env: each action on the exact ARN of each
// resource it acts on (the program names them all), KMS key actions on the stack's tagged
// keys, iam:PassRole per role and service.
func Policy(resources []infratest.Resource, env Env) (infra.PolicyDocument, error) {
	p := planner{env: env, byName: map[string]map[string]infratest.Resource{}}
	for _, r := range resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:") {
			continue // components and providers make no AWS calls of their own
		}
		if p.byName[r.Type] == nil {
			p.byName[r.Type] = map[string]infratest.Resource{}
		}
		p.byName[r.Type][physical(r)] = r
	}
	var err error
	if p.keyTags, err = stackTags(resources); err != nil {
		return infra.PolicyDocument{}, err
	}
	// Collect the actions each target (ARN and condition) needs, then give one statement to
	// each set of targets that need the same actions under the same condition. Resources are
	// visited in URN order: the SDK registers them from several goroutines, and the
	// statements' names must not depend on it.
	resources = slices.Clone(resources)
	slices.SortFunc(resources, func(a, b infratest.Resource) int { return strings.Compare(a.URN, b.URN) })
	type grants struct {
		target
		condJSON string
		actions  map[string]bool
	}
	byTarget := map[string]*grants{}
	passes := map[string]map[string]bool{} // service -> roles passed to it
	for _, r := range resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		access, ok := Table[r.Type]
		if !ok {
			return infra.PolicyDocument{}, fmt.Errorf("resource %s has type %s, which deployer.Table does not list: "+
				"add the actions its create, read, update and delete need", r.Name, r.Type)
		}
		arns, err := p.arns(r)
		if err != nil {
			return infra.PolicyDocument{}, fmt.Errorf("resource %s (%s): %w", r.Name, r.Type, err)
		}
		for _, action := range access.all() {
			if action == passRole {
				roles, services, err := p.passedRole(r)
				if err != nil {
					return infra.PolicyDocument{}, fmt.Errorf("resource %s (%s): %w", r.Name, r.Type, err)
				}
				for _, service := range services {
					if passes[service] == nil {
						passes[service] = map[string]bool{}
					}
					for _, role := range roles {
						passes[service][role] = true
					}
				}
				continue
			}
			targets, err := p.targets(r, action, arns)
			if err != nil {
				return infra.PolicyDocument{}, fmt.Errorf("resource %s (%s): %w", r.Name, r.Type, err)
			}
			for _, t := range targets {
				cond, err := json.Marshal(t.cond)
				if err != nil {
					return infra.PolicyDocument{}, fmt.Errorf("resource %s (%s): condition on %s: %w", r.Name, r.Type, t.arn, err)
				}
				key := t.arn + "\x00" + string(cond)
				g := byTarget[key]
				if g == nil {
					g = &grants{target: t, condJSON: string(cond), actions: map[string]bool{}}
					byTarget[key] = g
				}
				if t.own && !g.own { // an ARN's statement is named after the type it belongs to
					g.sid, g.own = t.sid, true
				}
				g.actions[action] = true
			}
		}
	}
	bySet := map[string]*iampolicy.Statement{}
	for _, key := range slices.Sorted(maps.Keys(byTarget)) {
		g := byTarget[key]
		actions := slices.Sorted(maps.Keys(g.actions))
		set := strings.Join(actions, " ") + "\x00" + g.condJSON
		if st, ok := bySet[set]; ok {
			st.Resource = append(st.Resource, g.arn)
			continue
		}
		bySet[set] = &iampolicy.Statement{Sid: g.sid, Effect: "Allow", Action: actions, Resource: []string{g.arn}, Condition: g.cond}
	}
	doc := infra.PolicyDocument{Version: "2012-10-17"}
	for _, st := range bySet {
		doc.Statement = append(doc.Statement, *st)
	}
	for _, service := range slices.Sorted(maps.Keys(passes)) {
		doc.Statement = append(doc.Statement, iampolicy.Statement{Sid: "PassRoleTo" + sidPart(strings.Split(service, ".")[0]),
			Effect: "Allow", Action: []string{passRole}, Resource: slices.Sorted(maps.Keys(passes[service])),
			Condition: iampolicy.Condition{"StringEquals": {"iam:PassedToService": {service}}}})
	}
	slices.SortFunc(doc.Statement, func(a, b iampolicy.Statement) int {
		return cmp.Or(strings.Compare(a.Sid, b.Sid), strings.Compare(strings.Join(a.Resource, " "), strings.Join(b.Resource, " ")))
	})
	// Sids must be unique within a policy: number repeated ones.
	seen := map[string]int{}
	for i := range doc.Statement {
		sid := doc.Statement[i].Sid
		if seen[sid]++; seen[sid] > 1 {
			doc.Statement[i].Sid = fmt.Sprintf("%s%d", sid, seen[sid])
		}
	}
	return doc, nil
}

// sidOf names a statement after a resource type: "aws:sns/topic:Topic" gives "SnsTopic".
func sidOf(typ string) string {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 {
		return sidPart(typ)
	}
	module, _, _ := strings.Cut(parts[1], "/")
	return sidPart(module) + sidPart(parts[2])
}

// sidPart keeps the letters and digits of s, the first one upper case.
func sidPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if b.Len() == 0 && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
