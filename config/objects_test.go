package config

import (
	"testing"
)

// TestParseListsOfObjects: every setting that is a list of objects reports a value that is no
// list, each null item and each unknown field under the item's path, in the items' order.
func TestParseListsOfObjects(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       []string
	}{
		{"subscriptions", `[null,{"protocol":"email","endpoint":"a@example.com","zone":1,"Endpoint":"x"}]`, []string{
			`subscriptions[0]: null (the key has no value) is not an object: want {protocol, endpoint, ...}`,
			`subscriptions[1].Endpoint: "x" is not a subscription field: want one of endpoint, filterPolicy, filterPolicyScope, protocol, rawMessageDelivery, subscriptionRoleArn`,
			`subscriptions[1].zone: 1 is not a subscription field: want one of endpoint, filterPolicy, filterPolicyScope, protocol, rawMessageDelivery, subscriptionRoleArn`,
		}},
		{"alarmSubscriptions", `{"protocol":"email"}`, []string{
			`alarmSubscriptions: {"protocol":"email"} is not a list of objects: want a list of objects such as [{"protocol": "email", "endpoint": "security@example.com"}]`,
		}},
		{"ownerSubscriptions", `[{"owner":"a","protocol":"email","endpoint":"a@example.com","team":"b"},null]`, []string{
			`ownerSubscriptions[0].team: "b" is not an owner subscription field: want one of endpoint, owner, protocol, rawMessageDelivery, subscriptionRoleArn`,
			`ownerSubscriptions[1]: null (the key has no value) is not an object: want {owner, protocol, endpoint, ...}`,
		}},
		{"exemptions", `[null,{"users":["a"],"reason":"r","id":7}]`, []string{
			`exemptions[0]: null (the key has no value) is not an object: want {users, reason, until}`,
			`exemptions[1].id: 7 is not an exemption field: want one of users, reason, until`,
		}},
		{"chat", `{"slack":[null,{"teamId":"T07EA123LEP","channelId":"C07EZ1ABC23","name":"x"}],"teams":{},"matrix":[]}`, []string{
			`chat.matrix: [] is not a chat field: want one of slack, teams`,
			`chat.teams: {} is not a list of objects: want a list of objects with channelId, teamId, tenantId`,
			`chat.slack[0]: null (the key has no value) is not an object: want an object with channelId, teamId`,
			`chat.slack[1].name: "x" is not a field of a channel here: want one of channelId, teamId`,
		}},
	} {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Parse(map[string]string{tt.key: tt.value})
			wantProblems(t, err, tt.want, "Parse(%s: %s)", tt.key, tt.value)
		})
	}
}
