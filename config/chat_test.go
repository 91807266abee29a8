package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	testSlackTeam    = "T07EA123LEP"
	testSlackChannel = "C07EZ1ABC23"
	testTenant       = "5f4a8c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b"
	testTeam         = "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b"
	testTeamsChannel = "19%3Aab12cd34ef56ab12cd34ef56ab12cd34%40thread.tacv2"
)

func TestParseChat(t *testing.T) {
	tests := []struct {
		name  string
		value string // "" leaves the key out
		want  Chat
	}{
		{"absent: off", "", Chat{}},
		{"the topic only", `{}`, Chat{Enabled: true}},
		{"slack and teams", `{"slack":[{"teamId":"` + testSlackTeam + `","channelId":"` + testSlackChannel + `"},{"teamId":"E0123ABCD","channelId":"ABCBBLZZZ"}],` +
			`"teams":[{"tenantId":"` + testTenant + `","teamId":"` + strings.ToUpper(testTeam) + `","channelId":"` + testTeamsChannel + `"}]}`,
			Chat{Enabled: true,
				Slack: []SlackChannel{{testSlackTeam, testSlackChannel}, {"E0123ABCD", "ABCBBLZZZ"}},
				Teams: []TeamsChannel{{testTenant, strings.ToUpper(testTeam), testTeamsChannel}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]string{}
			if tt.value != "" {
				values["chat"] = tt.value
			}
			c, err := Parse(values)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Settings().Chat; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseChatInvalid(t *testing.T) {
	slack := func(team, channel string) string {
		return `{"slack":[{"teamId":"` + team + `","channelId":"` + channel + `"}]}`
	}
	teams := func(tenant, team, channel string) string {
		return `{"teams":[{"tenantId":"` + tenant + `","teamId":"` + team + `","channelId":"` + channel + `"}]}`
	}
	var channels []string
	for i := range MaxChatChannels + 1 {
		channels = append(channels, fmt.Sprintf(`{"teamId":"T0123","channelId":"C01%02d"}`, i))
	}
	many := `{"slack":[` + strings.Join(channels, ",") + `]}`
	tests := []struct {
		name, value string
		want        []string
	}{
		{"a list", `[{"teamId":"T1"}]`, []string{`chat: [{"teamId":"T1"}] is not an object: want an object such as {} (the chat topic only) or {"slack": [{"teamId": "T07EA123LEP", "channelId": "C07EZ1ABC23"}]}`}},
		{"misspelt field", `{"slak":[]}`, []string{`chat.slak: [] is not a chat field: want one of slack, teams`}},
		{"channel name, not ID", slack(testSlackTeam, "#security"),
			[]string{`chat.slack[0].channelId: "#security" is not a Slack channel ID: want ` + allowedSlackChannel}},
		{"lower-case workspace ID", slack("t07ea123lep", testSlackChannel),
			[]string{`chat.slack[0].teamId: "t07ea123lep" is not a Slack workspace ID: want ` + allowedSlackTeamID}},
		{"missing channel", `{"slack":[{"teamId":"` + testSlackTeam + `"}]}`,
			[]string{`chat.slack[0].channelId is missing: want ` + allowedSlackChannel}},
		{"an ID as a number", `{"slack":[{"teamId":"` + testSlackTeam + `","channelId":1234}]}`,
			[]string{`chat.slack[0].channelId: 1234 is not a string: want a string: quote IDs made of digits`}},
		{"unknown channel field", `{"slack":[{"teamId":"` + testSlackTeam + `","channelId":"` + testSlackChannel + `","channelName":"sec"}]}`,
			[]string{`chat.slack[0].channelName: "sec" is not a field of a channel here: want one of channelId, teamId`}},
		{"a channel twice", `{"slack":[{"teamId":"T0123","channelId":"C0123"},{"teamId":"T0123","channelId":"C0123"}]}`,
			[]string{`chat.slack[1].channelId: "C0123" repeats chat.slack[0]: want each channel once`}},
		{"too many channels", many, []string{
			`chat: "{11 channels}" lists 11 channels: want at most 10, Slack and Teams together`}},
		{"tenant not a GUID", teams("contoso.onmicrosoft.com", testTeam, testTeamsChannel),
			[]string{`chat.teams[0].tenantId: "contoso.onmicrosoft.com" is not a GUID: want ` + allowedGUID}},
		{"team GUID without dashes", teams(testTenant, strings.ReplaceAll(testTeam, "-", ""), testTeamsChannel),
			[]string{`chat.teams[0].teamId: "0e1d2c3b4a5946879a8b7c6d5e4f3a2b" is not a GUID: want ` + allowedGUID}},
		{"Teams channel not URL-encoded", teams(testTenant, testTeam, "19:ab12@thread.tacv2"),
			[]string{`chat.teams[0].channelId: "19:ab12@thread.tacv2" is not URL-encoded: want ` + allowedTeamsChannel + `: ":" is %3A and "@" is %40`}},
		{"Teams channel of another shape", teams(testTenant, testTeam, "General"),
			[]string{`chat.teams[0].channelId: "General" is not a Teams channel ID: want ` + allowedTeamsChannel}},
		{"Teams channel too long", teams(testTenant, testTeam, "19%3A"+strings.Repeat("a", 251)+"%40t"),
			[]string{`chat.teams[0].channelId: "19%3A` + strings.Repeat("a", 251) + `%40t" is 260 characters long: want at most 255 characters: ` + allowedTeamsChannel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(map[string]string{"chat": tt.value})
			wantProblems(t, err, tt.want, "Parse(chat: %s)", tt.value)
		})
	}
}

func TestChatNotInChina(t *testing.T) {
	_, err := ParseConfig(map[string]string{RegionKey: "cn-north-1", Namespace + ":chat": "{}"})
	want := `chat: "{...}" is not available in the stack's region cn-north-1: Amazon Q Developer in chat applications has no endpoint in partition aws-cn: want no chat setting in a China region`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, err := ParseConfig(map[string]string{RegionKey: "us-gov-west-1", Namespace + ":chat": "{}"}); err != nil {
		t.Errorf("chat in GovCloud: %v, want no problem", err)
	}
}

func TestChatChannelsNeedAnAPIRegion(t *testing.T) {
	channels := `{"slack":[{"teamId":"T07EA123LEP","channelId":"C07EZ1ABC23"}]}`
	_, err := ParseConfig(map[string]string{RegionKey: "eu-central-1", Namespace + ":chat": channels})
	want := `chat: "{...}" configures channels, but the stack's region eu-central-1 has no Amazon Q Developer API endpoint to create them through: ` +
		`want a stack in ap-southeast-1, eu-west-1, us-east-2, us-west-2, or {} (the chat topic only) with the channel configured in the Amazon Q Developer console`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	for _, values := range []map[string]string{
		{RegionKey: "eu-central-1", Namespace + ":chat": "{}"},
		{RegionKey: "eu-west-1", Namespace + ":chat": channels},
		{Namespace + ":chat": channels}, // the region is the provider's: the program checks it
	} {
		if _, err := ParseConfig(values); err != nil {
			t.Errorf("%v: %v, want no problem", values, err)
		}
	}
}

// TestCheckedChatIsACopy: a Checked's chat channels do not change with its caller's settings.
func TestCheckedChatIsACopy(t *testing.T) {
	s := Defaults()
	s.Chat = Chat{Enabled: true, Slack: []SlackChannel{{testSlackTeam, testSlackChannel}}}
	c := MustCheck(s)
	s.Chat.Slack[0].ChannelID = "C999"
	if got := c.Settings().Chat.Slack[0].ChannelID; got != testSlackChannel {
		t.Errorf("checked channel changed to %q with the caller's settings, want %q", got, testSlackChannel)
	}
}
