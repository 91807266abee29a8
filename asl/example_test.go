package asl_test

import (
	"encoding/json"
	"fmt"

	"github.com/keyage/keyage/asl"
)

// A two-state machine built from the task helpers, rendered and turned into the role's policy
// statements.
func Example() {
	const partition = "aws"
	list := asl.SDKTask(partition, "iam", "listUsers")
	list.Parameters = map[string]any{"MaxItems": 100}
	list.ResultSelector = map[string]any{"users.$": "$.Users[*].UserName"}
	list.TimeoutSeconds = asl.Count{N: 30}
	list.Next = "Notify"

	notify := asl.SNSPublishTask(partition, "arn:aws:sns:us-east-1:123456789012:alerts")
	notify.Parameters = map[string]any{
		"TopicArn":  "arn:aws:sns:us-east-1:123456789012:alerts",
		"Message.$": "States.JsonToString($.users)",
	}
	notify.TimeoutSeconds = asl.Count{N: 30}
	notify.End = true

	m := &asl.StateMachine{StartAt: "ListUsers", States: asl.States{"ListUsers": list, "Notify": notify}}
	out, err := m.Render()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	policy, _ := json.Marshal(m.IAMStatements("arn:aws:states:us-east-1:123456789012:stateMachine:example"))
	fmt.Println(string(policy))
	// Output:
	// {
	//   "StartAt": "ListUsers",
	//   "States": {
	//     "ListUsers": {
	//       "Next": "Notify",
	//       "Parameters": {
	//         "MaxItems": 100
	//       },
	//       "Resource": "arn:aws:states:::aws-sdk:iam:listUsers",
	//       "ResultSelector": {
	//         "users.$": "$.Users[*].UserName"
	//       },
	//       "TimeoutSeconds": 30,
	//       "Type": "Task"
	//     },
	//     "Notify": {
	//       "End": true,
	//       "Parameters": {
	//         "Message.$": "States.JsonToString($.users)",
	//         "TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts"
	//       },
	//       "Resource": "arn:aws:states:::sns:publish",
	//       "TimeoutSeconds": 30,
	//       "Type": "Task"
	//     }
	//   }
	// }
	// [{"Effect":"Allow","Action":["iam:ListUsers"],"Resource":["*"]},{"Effect":"Allow","Action":["sns:Publish"],"Resource":["arn:aws:sns:us-east-1:123456789012:alerts"]}]
}

// Validate reports every violation at once, each with the path of the state.
func ExampleStateMachine_Validate() {
	m := &asl.StateMachine{StartAt: "Wait", States: asl.States{
		"Wait": &asl.Wait{Seconds: asl.Count{N: 10, Path: "$.delay"}, Flow: asl.Flow{Next: "Missing"}},
		"Done": &asl.Succeed{},
	}}
	fmt.Println(m.Validate())
	// Output:
	// States.Wait.Next: "Missing" is not a state of this graph
	// States.Wait.Seconds: Seconds and SecondsPath are exclusive; set one
	// States.Done: unreachable from StartAt "Wait"
}

// A Distributed Map that reads a CSV object from S3 in batches and runs Express children, built,
// validated and rendered with only the exported API (this file is package asl_test).
func ExampleMap_distributed() {
	scan := &asl.Map{
		Label:          "Scan",
		MaxConcurrency: asl.Count{N: 10},
		ItemReader: &asl.ItemReader{
			Resource:     "arn:aws:states:::s3:getObject",
			Parameters:   map[string]any{"Bucket": "inventory", "Key": "users.csv"},
			ReaderConfig: &asl.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "FIRST_ROW"},
		},
		ItemBatcher:                &asl.ItemBatcher{MaxItemsPerBatch: asl.Count{N: 50}},
		ToleratedFailurePercentage: asl.Fraction{Path: "$.tolerance"},
		ItemProcessor: &asl.ItemProcessor{
			ProcessorConfig: &asl.ProcessorConfig{Mode: asl.ModeDistributed, ExecutionType: asl.ExecutionExpress},
			Branch: asl.Branch{StartAt: "Check", States: asl.States{
				"Check": &asl.Pass{Flow: asl.Flow{End: true}},
			}},
		},
		Flow: asl.Flow{End: true},
	}
	m := &asl.StateMachine{StartAt: "Scan", States: asl.States{"Scan": scan}}
	if err := m.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	out, err := m.Render()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// {
	//   "StartAt": "Scan",
	//   "States": {
	//     "Scan": {
	//       "End": true,
	//       "ItemBatcher": {
	//         "MaxItemsPerBatch": 50
	//       },
	//       "ItemProcessor": {
	//         "ProcessorConfig": {
	//           "ExecutionType": "EXPRESS",
	//           "Mode": "DISTRIBUTED"
	//         },
	//         "StartAt": "Check",
	//         "States": {
	//           "Check": {
	//             "End": true,
	//             "Type": "Pass"
	//           }
	//         }
	//       },
	//       "ItemReader": {
	//         "Parameters": {
	//           "Bucket": "inventory",
	//           "Key": "users.csv"
	//         },
	//         "ReaderConfig": {
	//           "CSVHeaderLocation": "FIRST_ROW",
	//           "InputType": "CSV"
	//         },
	//         "Resource": "arn:aws:states:::s3:getObject"
	//       },
	//       "Label": "Scan",
	//       "MaxConcurrency": 10,
	//       "ToleratedFailurePercentagePath": "$.tolerance",
	//       "Type": "Map"
	//     }
	//   }
	// }
}
