package docs

import (
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/workflow"
)

// TestMonthlyCostCountsTheProgramsAlarms: the alarms workflow.Monthly prices are the ones the
// program creates with the default settings, one metric each.
func TestMonthlyCostCountsTheProgramsAlarms(t *testing.T) {
	s := config.MustCheck(config.Defaults())
	mocks := infratest.New("aws", "us-east-1", "123456789012")
	if err := mocks.Run(config.Namespace, "cost", infra.Program(infra.ProgramOptions{Settings: &s})); err != nil {
		t.Fatal(err)
	}
	alarms := 0
	for _, r := range mocks.Resources() {
		if r.Type != "aws:cloudwatch/metricAlarm:MetricAlarm" {
			continue
		}
		alarms++
		if _, ok := r.Inputs["metricQueries"]; ok || !r.Inputs["metricName"].IsString() {
			t.Errorf("alarm %s does not watch exactly one metric (metricName, no metricQueries): price it per metric", r.Name)
		}
	}
	if alarms != workflow.Alarms {
		t.Errorf("the program creates %d alarms with the default settings; workflow.Alarms, which the monthly cost prices, is %d", alarms, workflow.Alarms)
	}
}
