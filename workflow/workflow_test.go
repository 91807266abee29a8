package workflow

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/nodecheck"
	"github.com/keyage/keyage/lambda/agecheck"
)

// prodSettings is a production-like stack: a warning threshold, exemptions, more concurrency.
func prodSettings() config.Settings {
	s := config.Defaults()
	s.WarnAgeDays = 75
	s.ExemptUsers = []string{"break-glass", "svc-ci-*"}
	s.MaxConcurrency = 20
	s.FunctionMemoryMB = 512
	return s
}

// prodResources are real-looking resources in another region and account.
func prodResources() Resources {
	return Resources{
		Partition:   "aws",
		Region:      "eu-west-1",
		AccountID:   "111122223333",
		FunctionARN: "arn:aws:lambda:eu-west-1:111122223333:function:keyage-prod-agecheck-3f2a1b",
		TopicARN:    "arn:aws:sns:eu-west-1:111122223333:keyage-prod-findings-9c8d7e",
	}
}

func mustDefinition(t testing.TB, s config.Settings, r Resources) *asl.StateMachine {
	t.Helper()
	m, err := Definition(mustCheck(t, s), r)
	if err != nil {
		t.Fatalf("Definition: %v", err)
	}
	return m
}

func mustCheck(t testing.TB, s config.Settings) config.Checked {
	t.Helper()
	c, err := s.Check(time.Now())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return c
}

func mustRender(t testing.TB, m *asl.StateMachine) []byte {
	t.Helper()
	out, err := m.Render()
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return out
}

var goldenCases = []struct {
	name string
	s    func() config.Settings
	r    func() Resources
}{
	{"default", config.Defaults, PlaceholderResources},
	{"prod", prodSettings, prodResources},
	{"owners", ownersSettings, ownersResources},
	{"organization", organizationSettings, PlaceholderResources},
	{"accounts", accountsSettings, PlaceholderResources},
	{"chat", chatSettings, PlaceholderResources},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			m := mustDefinition(t, tc.s(), tc.r())
			golden.Check(t, filepath.Join("testdata", tc.name+".asl.json"), mustRender(t, m))
			golden.Check(t, filepath.Join("testdata", tc.name+".mmd"), []byte(m.Mermaid()))
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			first := mustRender(t, mustDefinition(t, tc.s(), tc.r()))
			for range 5 {
				if again := mustRender(t, mustDefinition(t, tc.s(), tc.r())); !bytes.Equal(first, again) {
					t.Fatalf("two renders of the same settings differ:\n%s", golden.Diff(first, again))
				}
			}
			// What Step Functions gets back must read as the same machine.
			parsed, err := asl.Parse(first)
			if err != nil {
				t.Fatalf("Parse(rendered): %v", err)
			}
			if again := mustRender(t, parsed); !bytes.Equal(first, again) {
				t.Fatalf("render(parse(render(m))) differs from render(m):\n%s", golden.Diff(first, again))
			}
		})
	}
}

// TestGoldenFilesPassASLValidator runs the independent asl-validator (npm) over the golden files.
func TestGoldenFilesPassASLValidator(t *testing.T) {
	checker := nodecheck.Require(t, "asl-validator")
	var files []string
	for _, tc := range goldenCases {
		p, err := filepath.Abs(filepath.Join("testdata", tc.name+".asl.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	var results []struct {
		File   string   `json:"file"`
		Valid  bool     `json:"valid"`
		Errors []string `json:"errors"`
	}
	if err := checker.RunJSON(nil, &results, "asl-validate.mjs", files...); err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("asl-validate.mjs checked %d files, want %d", len(results), len(files))
	}
	for _, r := range results {
		if !r.Valid {
			t.Errorf("%s: asl-validator says invalid: %v", r.File, r.Errors)
		}
	}
}

// settingsMatrix covers the concurrency edge cases and the exemption list at its largest.
func settingsMatrix() map[string]config.Settings {
	out := map[string]config.Settings{"default": config.Defaults(), "prod": prodSettings()}
	for _, m := range []int{1, 2, 3, 4, 5, 7, 10, 11, 64, 1000} {
		s := config.Defaults()
		s.MaxConcurrency = m
		out["maxConcurrency="+strconv.Itoa(m)] = s
	}
	big := config.Defaults()
	for i := range agecheck.MaxExemptUsers {
		big.ExemptUsers = append(big.ExemptUsers, strings.Repeat("x", 60)+strconv.Itoa(i)+"*")
	}
	out["maxExemptUsers"] = big
	out["organization"] = organizationSettings()
	out["accounts"] = accountsSettings()
	everyRun := config.Defaults()
	everyRun.Ledger.Notify = agecheck.NotifyEveryRun
	out["every-run"] = everyRun
	return out
}

// eachState visits every state of the machine, nested graphs included.
func eachState(states asl.States, fn func(name string, st asl.State)) {
	for name, st := range states {
		fn(name, st)
		if m, ok := st.(*asl.Map); ok && m.ItemProcessor != nil {
			eachState(m.ItemProcessor.States, fn)
		}
		if p, ok := st.(*asl.Parallel); ok {
			for _, b := range p.Branches {
				eachState(b.States, fn)
			}
		}
	}
}

func TestEveryTaskHasTimeoutAndBoundedRetry(t *testing.T) {
	for name, s := range settingsMatrix() {
		m := mustDefinition(t, s, PlaceholderResources())
		tasks := 0
		eachState(m.States, func(state string, st asl.State) {
			task, ok := st.(*asl.Task)
			if !ok {
				return
			}
			tasks++
			if task.TimeoutSeconds.N <= 0 {
				t.Errorf("%s: task %s has TimeoutSeconds %d, want > 0", name, state, task.TimeoutSeconds.N)
			}
			if len(task.Retry) == 0 {
				t.Errorf("%s: task %s has no Retry", name, state)
			}
			for i, r := range task.Retry {
				if r.MaxAttempts == nil || *r.MaxAttempts < 1 || *r.MaxAttempts > 10 {
					t.Errorf("%s: task %s Retry[%d].MaxAttempts is %v, want an explicit bound 1..10", name, state, i, r.MaxAttempts)
				}
				if r.MaxDelaySeconds <= 0 || r.JitterStrategy != asl.JitterFull {
					t.Errorf("%s: task %s Retry[%d] has MaxDelaySeconds %d and JitterStrategy %q, want a cap and FULL",
						name, state, i, r.MaxDelaySeconds, r.JitterStrategy)
				}
				if r.IntervalSeconds < 1 || r.BackoffRate < 1 {
					t.Errorf("%s: task %s Retry[%d] has IntervalSeconds %d, BackoffRate %g, want a backoff", name, state, i, r.IntervalSeconds, r.BackoffRate)
				}
			}
		})
		want := 8
		if s.Ledger.Remembers() && !s.Organization.Enabled() {
			want++ // RecordAnnounced, the commit
		}
		if _, org := m.States[StateScanAccounts]; tasks != want && !org { // an organization run has more; each is checked above all the same
			t.Errorf("%s: %d tasks, want %d (ListUsers, ListMoreUsers, ListAccessKeys, CheckBatch, MergeResults, CheckRootKeys, Report, Notify, and RecordAnnounced with notify: changes)", name, tasks, want)
		}
		if m.TimeoutSeconds != MachineTimeoutSeconds {
			t.Errorf("%s: machine TimeoutSeconds is %d, want %d", name, m.TimeoutSeconds, MachineTimeoutSeconds)
		}
	}
}

func TestLambdaRetriesAsAWSRecommends(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	recommended := []string{"Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException",
		"Lambda.AWSLambdaException", "Lambda.SdkClientException"}
	found := 0
	eachState(m.States, func(name string, st asl.State) {
		task, ok := st.(*asl.Task)
		if !ok || !strings.HasSuffix(task.Resource, ":states:::lambda:invoke") {
			return
		}
		found++
		r := task.Retry[0]
		for _, e := range append(recommended, "Lambda.TooManyRequestsException") {
			if !contains(r.ErrorEquals, e) {
				t.Errorf("%s: Retry[0] does not retry %s", name, e)
			}
		}
		if r.IntervalSeconds != 2 || *r.MaxAttempts != 6 || r.BackoffRate != 2 {
			t.Errorf("%s: Retry[0] is interval %d, attempts %d, backoff %g; AWS recommends 2, 6, 2",
				name, r.IntervalSeconds, *r.MaxAttempts, r.BackoffRate)
		}
		if contains(r.ErrorEquals, agecheck.ErrorTypeInvalidInput) || contains(r.ErrorEquals, asl.ErrAll) {
			t.Errorf("%s: retries %v; a malformed event cannot succeed on retry", name, r.ErrorEquals)
		}
	})
	if found != 4 {
		t.Errorf("found %d lambda:invoke tasks, want 4 (check, merge, report, commit)", found)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// distributedMap returns the machine's Distributed Map, its inline Map and the child's tasks.
func distributedMap(t *testing.T, m *asl.StateMachine) (outer, inner *asl.Map, list, check *asl.Task) {
	t.Helper()
	outer, ok := m.States[StateCheckKeys].(*asl.Map)
	if !ok || !outer.IsDistributed() {
		t.Fatalf("%s is %T, want a DISTRIBUTED Map", StateCheckKeys, m.States[StateCheckKeys])
	}
	child := outer.ItemProcessor.States
	inner, ok = child[StateListKeysOfBatch].(*asl.Map)
	if !ok {
		t.Fatalf("%s is %T, want an inline Map", StateListKeysOfBatch, child[StateListKeysOfBatch])
	}
	list, ok = inner.ItemProcessor.States[StateListAccessKeys].(*asl.Task)
	if !ok {
		t.Fatalf("%s is missing", StateListAccessKeys)
	}
	check, ok = child[StateCheckBatch].(*asl.Task)
	if !ok {
		t.Fatalf("%s is missing", StateCheckBatch)
	}
	return outer, inner, list, check
}

func TestConcurrencyProductWithinSetting(t *testing.T) {
	for name, s := range settingsMatrix() {
		outer, inner, _, _ := distributedMap(t, mustDefinition(t, s, PlaceholderResources()))
		product := outer.MaxConcurrency.N * inner.MaxConcurrency.N
		if outer.MaxConcurrency.N < 1 || inner.MaxConcurrency.N < 1 {
			t.Errorf("%s: MaxConcurrency outer %d, inner %d; 0 would mean unlimited", name, outer.MaxConcurrency.N, inner.MaxConcurrency.N)
		}
		if product > s.MaxConcurrency {
			t.Errorf("%s: outer %d x inner %d = %d IAM calls in flight, want <= maxConcurrency %d",
				name, outer.MaxConcurrency.N, inner.MaxConcurrency.N, product, s.MaxConcurrency)
		}
		// The setting is used, not squandered: at least half of it, up to what a page can use.
		useful := MaxBatchSize * ceilDiv(PageSize, MaxBatchSize)
		if product*2 < min(s.MaxConcurrency, useful) {
			t.Errorf("%s: only %d of maxConcurrency %d used", name, product, s.MaxConcurrency)
		}
	}
}

func TestDistributedMapShape(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	outer, inner, _, check := distributedMap(t, m)
	if outer.ItemProcessor.ProcessorConfig.ExecutionType != asl.ExecutionExpress {
		t.Errorf("children are %q, want EXPRESS", outer.ItemProcessor.ProcessorConfig.ExecutionType)
	}
	if outer.ToleratedFailurePercentage.N != 0 || outer.ToleratedFailureCount.N != 0 {
		t.Errorf("tolerated failures %g%% / %d, want 0: children must not fail", outer.ToleratedFailurePercentage.N, outer.ToleratedFailureCount.N)
	}
	if outer.Label != MapLabel || outer.ItemBatcher == nil || outer.ItemBatcher.MaxItemsPerBatch.N != PlanFor(10).BatchSize {
		t.Errorf("label %q, batcher %+v; want %q and MaxItemsPerBatch %d", outer.Label, outer.ItemBatcher, MapLabel, PlanFor(10).BatchSize)
	}
	if inner.ItemsPath != "$.Items" {
		t.Errorf("inline Map reads %q, want the batch's $.Items", inner.ItemsPath)
	}
	// The child catches everything: the function's failure leads to the unchecked batch.
	if len(check.Catch) != 1 || check.Catch[0].ErrorEquals[0] != asl.ErrAll {
		t.Errorf("CheckBatch Catch is %+v, want States.ALL", check.Catch)
	}
	_, _, list, _ := distributedMap(t, m)
	var catches []string
	for _, c := range list.Catch {
		catches = append(catches, c.ErrorEquals...)
	}
	if strings.Join(catches, ",") != "Iam.NoSuchEntityException,States.ALL" {
		t.Errorf("ListAccessKeys catches %v, want deleted users first, then everything", catches)
	}
}

func TestPageSize(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	for _, name := range []string{StateListUsers, StateListMoreUsers} {
		task := m.States[name].(*asl.Task)
		params := task.Parameters.(map[string]any)
		if params["MaxItems"] != PageSize {
			t.Errorf("%s MaxItems is %v, want PageSize %d", name, params["MaxItems"], PageSize)
		}
		if PageSize < 1 || PageSize > 1000 {
			t.Errorf("PageSize %d is outside IAM's 1..1000", PageSize)
		}
		_, hasMarker := params["Marker.$"]
		if hasMarker != (name == StateListMoreUsers) {
			t.Errorf("%s has Marker.$: %v", name, hasMarker)
		}
		for _, r := range task.Retry {
			if contains(r.ErrorEquals, asl.ErrAll) {
				t.Errorf("%s retries States.ALL; a ListUsers failure must fail the run after bounded retries", name)
			}
		}
		if len(task.Catch) != 0 {
			t.Errorf("%s has Catch %+v; a ListUsers failure must fail the run", name, task.Catch)
		}
	}
	loop := m.States[stateMorePages].(*asl.Choice)
	truncated := []asl.ChoiceRule{
		{Variable: "$.page.IsTruncated", IsPresent: new(true)},
		{Variable: "$.page.IsTruncated", BooleanEquals: new(true)},
	}
	wantRules := []asl.ChoiceRule{
		{And: append(truncated[:2:2], asl.ChoiceRule{Variable: "$.page.Marker", IsPresent: new(true)}), Next: StateListMoreUsers},
		{And: truncated, Next: stateNoMarker},
	}
	if !reflect.DeepEqual(loop.Choices, wantRules) || loop.Default != StateCheckRootKeys {
		got, _ := json.Marshal(loop)
		t.Errorf("page loop is %s, want: IsTruncated present and true and Marker present -> %s, IsTruncated present and true -> %s, else %s",
			got, StateListMoreUsers, stateNoMarker, StateCheckRootKeys)
	}
	if f, ok := m.States[stateNoMarker].(*asl.Fail); !ok || f.Error != ErrorIncompleteListing {
		t.Errorf("%s is %#v, want a Fail with %s", stateNoMarker, m.States[stateNoMarker], ErrorIncompleteListing)
	}
}

// worstSeconds is the test's own reading of a task's worst case: attempts at full timeout plus
// capped delays, from the numbers as rendered.
func worstSeconds(t *testing.T, task map[string]any) float64 {
	t.Helper()
	timeout, ok := task["TimeoutSeconds"].(float64)
	if !ok {
		t.Fatalf("task without TimeoutSeconds: %v", task)
	}
	total, attempts := 0.0, 1.0
	for _, raw := range task["Retry"].([]any) {
		r := raw.(map[string]any)
		n := r["MaxAttempts"].(float64)
		interval, rate, cap := r["IntervalSeconds"].(float64), r["BackoffRate"].(float64), r["MaxDelaySeconds"].(float64)
		d := interval
		for range int(n) {
			total += min(d, cap)
			d *= rate
		}
		attempts += n
	}
	return total + attempts*timeout
}

func TestChildWorstCaseFitsExpressLimit(t *testing.T) {
	for name, s := range settingsMatrix() {
		var doc map[string]any
		if err := json.Unmarshal(mustRender(t, mustDefinition(t, s, PlaceholderResources())), &doc); err != nil {
			t.Fatal(err)
		}
		outer := doc["States"].(map[string]any)[StateCheckKeys].(map[string]any)
		batch := outer["ItemBatcher"].(map[string]any)["MaxItemsPerBatch"].(float64)
		child := outer["ItemProcessor"].(map[string]any)["States"].(map[string]any)
		inner := child[StateListKeysOfBatch].(map[string]any)
		conc := inner["MaxConcurrency"].(float64)
		list := inner["ItemProcessor"].(map[string]any)["States"].(map[string]any)[StateListAccessKeys].(map[string]any)
		check := child[StateCheckBatch].(map[string]any)
		rounds := float64(ceilDiv(int(batch), int(conc)))
		worst := rounds*worstSeconds(t, list) + worstSeconds(t, check)
		if limit := float64(ExpressLimitSeconds - ChildHeadroomSeconds); worst > limit {
			t.Errorf("%s: child worst case %g s (%g rounds of %g s + check %g s) exceeds %g s",
				name, worst, rounds, worstSeconds(t, list), worstSeconds(t, check), limit)
		}
		if got := PlanFor(s.MaxConcurrency).ChildWorstCaseSeconds(); float64(got) != worst {
			t.Errorf("%s: Plan.ChildWorstCaseSeconds is %d, the definition's numbers give %g", name, got, worst)
		}
	}
}

func TestMachineTimeoutBound(t *testing.T) {
	// The documented bound: a 5,000-user run in which every call ran once to its timeout (no
	// retries) must finish in under half of MachineTimeoutSeconds.
	p := PlanFor(config.Defaults().MaxConcurrency)
	pages := ceilDiv(5000, p.PageSize)
	waves := ceilDiv(ceilDiv(p.PageSize, p.BatchSize), p.Outer)
	perPage := ListUsersTimeoutSeconds + waves*(p.Rounds()*ListAccessKeysTimeoutSeconds+LambdaTaskTimeoutSeconds) + LambdaTaskTimeoutSeconds
	slow := pages*perPage + LambdaTaskTimeoutSeconds + PublishTimeoutSeconds
	if slow*2 > MachineTimeoutSeconds {
		t.Errorf("a 5,000-user run of calls at their timeouts takes %d s; MachineTimeoutSeconds %d is not twice that", slow, MachineTimeoutSeconds)
	}
	strict := pages * (TaskWorstCaseSeconds(listUsersTask("aws", "")) + waves*p.ChildWorstCaseSeconds() +
		TaskWorstCaseSeconds(lambdaTask("aws", "f", agecheck.OpMerge, nil, parentLambdaMaxDelaySeconds)))
	t.Logf("5,000 users: every call at its timeout once: %.1f h; every attempt of every call timing out: %.1f h; bound %.1f h",
		float64(slow)/3600, float64(strict)/3600, float64(MachineTimeoutSeconds)/3600)
}

func TestPlanFor(t *testing.T) {
	cases := []struct {
		m    int
		want Plan
	}{
		{0, Plan{PageSize, 3, 1, 1}},
		{1, Plan{PageSize, 3, 1, 1}},
		{2, Plan{PageSize, 5, 1, 2}},
		{5, Plan{PageSize, 5, 1, 5}},
		{10, Plan{PageSize, 5, 2, 5}},
		{20, Plan{PageSize, 5, 4, 5}},
		{1000, Plan{PageSize, 5, PageSize / 5, 5}},
	}
	for _, c := range cases {
		if got := PlanFor(c.m); got != c.want {
			t.Errorf("PlanFor(%d) = %+v, want %+v", c.m, got, c.want)
		}
	}
	if MaxChildRounds() < 1 {
		t.Fatalf("MaxChildRounds() = %d: not even one round of ListAccessKeys fits a child", MaxChildRounds())
	}
}

func TestPermissionsNarrowed(t *testing.T) {
	r := prodResources()
	m := mustDefinition(t, prodSettings(), r)
	machine := "arn:aws:states:eu-west-1:111122223333:stateMachine:keyage-prod"
	stmts := m.IAMStatements(machine)
	byAction := map[string][]string{}
	for _, s := range stmts {
		if s.Effect != "Allow" {
			t.Errorf("statement %+v is not Allow", s)
		}
		for _, a := range s.Action {
			byAction[a] = append(byAction[a], s.Resource...)
		}
	}
	want := map[string][]string{
		"iam:ListUsers":            {"*"}, // no resource-level permissions
		"iam:GetAccountSummary":    {"*"}, // none either (checkRootKeys is on by default)
		"iam:ListAccessKeys":       {"arn:aws:iam::111122223333:user/*"},
		"lambda:InvokeFunction":    {r.FunctionARN, r.FunctionARN + ":*"},
		"sns:Publish":              {r.TopicARN},
		"states:StartExecution":    {machine},
		"states:DescribeExecution": {"arn:aws:states:eu-west-1:111122223333:execution:keyage-prod/*", "arn:aws:states:eu-west-1:111122223333:execution:keyage-prod:*"},
		"states:StopExecution":     {"arn:aws:states:eu-west-1:111122223333:execution:keyage-prod/*", "arn:aws:states:eu-west-1:111122223333:execution:keyage-prod:*"},
	}
	for action, res := range want {
		if strings.Join(byAction[action], ",") != strings.Join(res, ",") {
			t.Errorf("%s on %v, want %v", action, byAction[action], res)
		}
	}
	for action := range byAction {
		if _, ok := want[action]; !ok {
			t.Errorf("unexpected action %s on %v", action, byAction[action])
		}
	}
}

func TestPartitions(t *testing.T) {
	for _, p := range []struct{ partition, region string }{{"aws-cn", "cn-north-1"}, {"aws-us-gov", "us-gov-west-1"}} {
		t.Run(p.partition, func(t *testing.T) {
			r := PlaceholderResourcesIn(p.partition, p.region)
			m := mustDefinition(t, prodSettings(), r)
			out := mustRender(t, m)
			stmts, err := json.Marshal(m.IAMStatements("arn:" + p.partition + ":states:" + p.region + ":123456789012:stateMachine:k"))
			if err != nil {
				t.Fatal(err)
			}
			for what, doc := range map[string][]byte{"definition": out, "IAM statements": stmts} {
				if bytes.Contains(doc, []byte("arn:aws:")) {
					t.Errorf("%s contains an arn:aws: string in partition %s", what, p.partition)
				}
				if !bytes.Contains(doc, []byte("arn:"+p.partition+":")) {
					t.Errorf("%s has no arn:%s: string", what, p.partition)
				}
			}
		})
	}
}

func TestInputContract(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	// test: absent is false, a boolean passes, anything else fails the run.
	testField := asl.Path("$." + TestField)
	start, ok := m.States[m.StartAt].(*asl.Choice)
	wantTest := []asl.ChoiceRule{
		{Not: &asl.ChoiceRule{Variable: testField, IsPresent: new(true)}, Next: stateNotATest},
		{Variable: testField, IsBoolean: new(true), Next: stateKeepTestFlag},
	}
	if !ok || !reflect.DeepEqual(start.Choices, wantTest) || start.Default != stateInvalidTest {
		got, _ := json.Marshal(m.States[m.StartAt])
		t.Errorf("start state %s: want $.%s absent -> %s, a boolean -> %s, else %s", got, TestField, stateNotATest, stateKeepTestFlag, stateInvalidTest)
	}
	for name, want := range map[string]any{stateNotATest: false, stateKeepTestFlag: string(testField)} {
		p, ok := m.States[name].(*asl.Pass)
		key := TestField
		if want != false {
			key += ".$"
		}
		if !ok || !reflect.DeepEqual(p.Parameters, map[string]any{key: want}) || p.ResultPath != "$.run" || p.Next != stateHasScheduledTime {
			t.Errorf("%s = %#v, want a Pass setting $.run.%s to %v", name, m.States[name], TestField, want)
		}
	}
	if f, ok := m.States[stateInvalidInput].(*asl.Fail); !ok || f.Error != ErrorInvalidInput || f.CausePath != "$.cause" {
		t.Errorf("%s = %#v, want a Fail with %s and the cause described before", stateInvalidInput, m.States[stateInvalidInput], ErrorInvalidInput)
	}
	for name, field := range map[string]string{stateInvalidTest: TestField, stateInvalidScheduled: ScheduledTimeField} {
		p, ok := m.States[name].(*asl.Pass)
		if !ok || p.Next != stateInvalidInput {
			t.Errorf("%s = %#v, want a Pass describing %s, then %s", name, m.States[name], field, stateInvalidInput)
			continue
		}
		cause, _ := p.Parameters.(map[string]any)["cause.$"].(string)
		if !strings.Contains(cause, "the input field "+field+" is {}: want ") || !strings.HasSuffix(cause, "States.JsonToString($."+field+"))") {
			t.Errorf("%s describes %q, want the field, its value and what is allowed", name, cause)
		}
	}
	has := m.States[stateHasScheduledTime].(*asl.Choice)
	if has.Choices[0].Variable != asl.Path("$."+ScheduledTimeField) || has.Default != stateUseStartTime {
		t.Errorf("%s %+v does not read $.%s with a start-time default", stateHasScheduledTime, has, ScheduledTimeField)
	}
	use := m.States[stateUseStartTime].(*asl.Pass).Parameters.(map[string]any)
	if use[ScheduledTimeField+".$"] != "$$.Execution.StartTime" || use["run.$"] != "$.run" {
		t.Errorf("UseStartTime sets %v, want the start time and the test flag kept", use)
	}
	// The flag reaches the run's context and the report's event, nothing else.
	run := m.States[stateInit].(*asl.Pass).Parameters.(map[string]any)["run"].(map[string]any)
	if run["test.$"] != "$.run.test" {
		t.Errorf("Init's run = %v, want test.$ $.run.test", run)
	}
	for _, name := range []string{StateMergeResults, StateReport} {
		payload := lambdaPayload(m.States[name].(*asl.Task))
		if _, has := payload["test.$"]; has != (name == StateReport) {
			t.Errorf("%s's event has test.$: %v, want it in the report's event only", name, has)
		}
	}
	// The policy travels in the definition.
	out := string(mustRender(t, mustDefinition(t, prodSettings(), prodResources())))
	for _, want := range []string{`"maxAgeDays": 90`, `"warnAgeDays": 75`, `"svc-ci-*"`, `"account": "111122223333"`} {
		if !strings.Contains(out, want) {
			t.Errorf("definition does not contain %s", want)
		}
	}
}

func TestDefinitionRejects(t *testing.T) {
	good := PlaceholderResources()
	cases := []struct {
		name string
		s    func(*config.Checked)
		r    func(*Resources)
		want []string
	}{
		{"bad partition", nil, func(r *Resources) { r.Partition = "AWS" }, []string{`Partition is "AWS"`, "FunctionARN"}},
		{"bad account", nil, func(r *Resources) { r.AccountID = "12345" }, []string{`AccountID is "12345", want a 12-digit AWS account ID`}},
		{"function in other region", nil, func(r *Resources) { r.FunctionARN = strings.Replace(good.FunctionARN, "us-east-1", "eu-west-1", 1) },
			[]string{"FunctionARN is", "arn:aws:lambda:us-east-1:123456789012:function:<name>"}},
		{"empty topic", nil, func(r *Resources) { r.TopicARN = "" }, []string{`TopicARN is ""`}},
		{"bad region", nil, func(r *Resources) { r.Region = "mars" }, []string{`Region is "mars"`}},
		{"unchecked settings", func(c *config.Checked) { *c = config.Checked{} }, nil, []string{config.ErrUnchecked.Error()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, r := mustCheck(t, config.Defaults()), good
			if c.s != nil {
				c.s(&s)
			}
			if c.r != nil {
				c.r(&r)
			}
			_, err := Definition(s, r)
			if err == nil {
				t.Fatal("Definition succeeded, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPlaceholderResourcesAreValidAndObvious(t *testing.T) {
	r := PlaceholderResources()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.AccountID != "123456789012" || !strings.Contains(r.FunctionARN, "PLACEHOLDER") || !strings.Contains(r.TopicARN, "PLACEHOLDER") {
		t.Errorf("placeholders are not obvious: %+v", r)
	}
}

// TestRunsOffline keeps the definition within what aws-local-stepfunctions executes: JSONPath
// only, and only intrinsic functions it implements.
func TestRunsOffline(t *testing.T) {
	supported := map[string]bool{"States.ArrayLength": true, "States.JsonMerge": true, "States.Format": true,
		"States.StringToJson": true, "States.ArrayGetItem": true, "States.Array": true,
		// aws-local-stepfunctions 3 implements both (StatesArrayContains, StatesMathAdd).
		"States.ArrayContains": true, "States.MathAdd": true,
		// and StatesJsonToString (the owner messages' bodies per protocol).
		"States.JsonToString": true}
	for _, tc := range goldenCases {
		var doc any
		if err := json.Unmarshal(mustRender(t, mustDefinition(t, tc.s(), tc.r())), &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					if k == "QueryLanguage" && x != string(asl.JSONPath) {
						t.Errorf("%s: %s.QueryLanguage is %v, want JSONPath", tc.name, path, x)
					}
					walk(path+"."+k, x)
				}
			case []any:
				for i, x := range v {
					walk(path+"["+strconv.Itoa(i)+"]", x)
				}
			case string:
				if strings.Contains(v, "{%") {
					t.Errorf("%s: %s holds a JSONata expression %q", tc.name, path, v)
				}
				if fn, _, ok := strings.Cut(v, "("); ok && strings.HasPrefix(v, "States.") && !strings.Contains(fn, " ") && !supported[fn] {
					t.Errorf("%s: %s calls %s, which aws-local-stepfunctions does not implement", tc.name, path, fn)
				}
			}
		}
		walk("$", doc)
	}
}

// TestBatchUncheckedIsASummary: the Summary the child builds when the check invocation failed
// uses agecheck.Summary's JSON fields only, counts every user of the batch as unchecked, and is
// marked batchFailed, which makes op merge log its users (the function never saw them).
func TestBatchUncheckedIsASummary(t *testing.T) {
	m, err := Definition(mustCheck(t, config.Defaults()), PlaceholderResources())
	if err != nil {
		t.Fatal(err)
	}
	child := m.States[StateCheckKeys].(*asl.Map).ItemProcessor.Branch
	pass, ok := child.States[stateBatchUnchecked].(*asl.Pass)
	if !ok {
		t.Fatalf("%s is %T, want a Pass", stateBatchUnchecked, child.States[stateBatchUnchecked])
	}
	params := pass.Parameters.(map[string]any)
	fields := jsonFields(reflect.TypeFor[agecheck.Summary]())
	for k := range params {
		if !fields[strings.TrimSuffix(k, ".$")] {
			t.Errorf("%s sets %q, which is no field of agecheck.Summary", stateBatchUnchecked, k)
		}
	}
	if params["batchFailed"] != true {
		t.Errorf("%s: batchFailed = %v, want true (op merge then logs the batch's users)", stateBatchUnchecked, params["batchFailed"])
	}
	for _, k := range []string{"users.$", "unchecked.$"} {
		if params[k] != "States.ArrayLength($.Items)" {
			t.Errorf("%s: %s = %v, want every user of the batch", stateBatchUnchecked, k, params[k])
		}
	}
}

// TestInvalidInputCausesNeedNoEscaping: what the causes say is allowed goes into an intrinsic's
// string literal, where ' { } and \ are reserved.
func TestInvalidInputCausesNeedNoEscaping(t *testing.T) {
	for _, s := range []string{testAllowed, scheduledTimeAllowed, TestField, ScheduledTimeField} {
		if strings.ContainsAny(s, `'{}\`) {
			t.Errorf("%q holds a character an intrinsic's string literal reserves", s)
		}
	}
}

// jsonFields returns the JSON names of a struct type's fields; those of an embedded struct
// without a tag are inlined, as encoding/json inlines them (agecheck.Summary's Counts).
func jsonFields(st reflect.Type) map[string]bool {
	fields := map[string]bool{}
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			maps.Copy(fields, jsonFields(f.Type))
			continue
		}
		fields[strings.Split(f.Tag.Get("json"), ",")[0]] = true
	}
	return fields
}

// TestFunctionEventsAreEvents: every event the definition sends the function uses only
// agecheck.Event's JSON fields and names its op, so the contract cannot drift on one side.
func TestFunctionEventsAreEvents(t *testing.T) {
	m, err := Definition(mustCheck(t, config.Defaults()), PlaceholderResources())
	if err != nil {
		t.Fatal(err)
	}
	child := m.States[StateCheckKeys].(*asl.Map).ItemProcessor.Branch.States
	wantEvents(t, map[string]opState{
		StateCheckBatch:   {child[StateCheckBatch], agecheck.OpCheck},
		StateMergeResults: {m.States[StateMergeResults], agecheck.OpMerge},
		StateReport:       {m.States[StateReport], agecheck.OpReport},
	})
}

// opState is a state that invokes the function, and the op its event must name.
type opState struct {
	state asl.State
	op    string
}

// wantEvents fails for each named state whose event does not name its op, or sends a field
// agecheck.Event does not have.
func wantEvents(t *testing.T, states map[string]opState) {
	t.Helper()
	fields := jsonFields(reflect.TypeFor[agecheck.Event]())
	for name, want := range states {
		payload := lambdaPayload(want.state.(*asl.Task))
		if payload["op"] != want.op {
			t.Errorf("%s sends op %v, want %q", name, payload["op"], want.op)
		}
		for k := range payload {
			if !fields[strings.TrimSuffix(k, ".$")] {
				t.Errorf("%s sends %q, which is no field of agecheck.Event", name, k)
			}
		}
	}
}
