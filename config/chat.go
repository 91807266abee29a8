package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Chat is the chat setting: findings also go, as a card, to Slack or Microsoft Teams channels
// through Amazon Q Developer in chat applications (formerly AWS Chatbot). Absent (the default)
// is off. Present, the stack has a chat topic, whose messages are in Amazon Q Developer's
// custom notification format; each channel listed gets a channel configuration the stack
// creates, and with none listed, a configuration made elsewhere subscribes to the topic.
type Chat struct {
	Enabled bool           // the key is set: the chat topic exists
	Slack   []SlackChannel // slack: channel configurations to create
	Teams   []TeamsChannel // teams: channel configurations to create
}

// SlackChannel is one Slack channel of a workspace authorized with Amazon Q Developer.
type SlackChannel struct {
	TeamID    string // teamId: the workspace's ID, such as T07EA123LEP
	ChannelID string // channelId: such as C07EZ1ABC23
}

// TeamsChannel is one Microsoft Teams channel of a team authorized with Amazon Q Developer.
type TeamsChannel struct {
	TenantID  string // tenantId: the Microsoft Entra tenant's GUID
	TeamID    string // teamId: the team's GUID
	ChannelID string // channelId: URL-encoded, such as 19%3Aabc...%40thread.tacv2
}

// MaxChatChannels bounds the channels of the chat setting, Slack and Teams together: keyage's
// choice, a notifier for a few team channels.
const MaxChatChannels = 10

// The ID shapes. Slack's IDs are upper-case letters and digits (a workspace's such as
// T07EA123LEP, a channel's such as C07EZ1ABC23); the API takes at most 255 characters
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html).
// The shape refuses what is most often given instead: a channel's name.
// Teams' tenant and team IDs are GUIDs; a channel ID is URL-encoded, holding %3A and %40 for
// the ":" and "@" of 19:...@thread.tacv2, at most 255 characters
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_TeamsChannelConfiguration.html).
var (
	slackTeamID    = regexp.MustCompile(`^[0-9A-Z]+$`)
	slackChannelID = regexp.MustCompile(`^[0-9A-Z]+$`)
	guid           = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	teamsChannelID = regexp.MustCompile(`^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$`)
)

const (
	maxChatIDLength     = 255
	allowedSlackTeamID  = "a Slack workspace ID: upper-case letters and digits, such as T07EA123LEP (the Amazon Q Developer console shows it)"
	allowedSlackChannel = "a Slack channel ID: upper-case letters and digits, such as C07EZ1ABC23 (the end of the channel's link), not its name"
	allowedGUID         = "a GUID such as 5f4a8c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b"
	allowedTeamsChannel = "a URL-encoded Teams channel ID such as 19%3Aab12cd34ef56ab12cd34ef56ab12cd34%40thread.tacv2 (copy it from the channel's link)"
)

// chatFields are the fields of the chat object and of its channels, in the JSON's spelling.
var (
	chatFields         = []string{"slack", "teams"}
	slackChannelFields = []string{"channelId", "teamId"}
	teamsChannelFields = []string{"channelId", "teamId", "tenantId"}
)

// decodeChat reads the chat object: its fields' names and JSON types; validate checks the values.
func decodeChat(p *problems, v string) Chat {
	const allowed = `an object such as {} (the chat topic only) or {"slack": [{"teamId": "T07EA123LEP", "channelId": "C07EZ1ABC23"}]}`
	var raw map[string]json.RawMessage
	if err := decodeJSON(v, &raw); err != nil || raw == nil {
		p.add("chat", v, "is not an object", allowed)
		return Chat{}
	}
	c := Chat{Enabled: true}
	unknownFields(p, "chat", raw, chatFields, "a chat field")
	for _, ch := range decodeChannels(p, "chat.slack", raw["slack"], slackChannelFields) {
		c.Slack = append(c.Slack, SlackChannel{TeamID: ch["teamId"], ChannelID: ch["channelId"]})
	}
	for _, ch := range decodeChannels(p, "chat.teams", raw["teams"], teamsChannelFields) {
		c.Teams = append(c.Teams, TeamsChannel{TenantID: ch["tenantId"], TeamID: ch["teamId"], ChannelID: ch["channelId"]})
	}
	return c
}

// decodeChannels reads a list of channel objects of string fields (nil when raw is absent).
func decodeChannels(p *problems, key string, raw json.RawMessage, fields []string) []map[string]string {
	if raw == nil {
		return nil
	}
	list, ok := decodeObjects(p, key, string(raw), "a list of objects with "+strings.Join(fields, ", "))
	if !ok {
		return nil
	}
	out := make([]map[string]string, len(list))
	for i, obj := range list {
		path := itemPath(key, i)
		out[i] = map[string]string{}
		if nullItem(p, path, obj, "an object with "+strings.Join(fields, ", ")) {
			continue
		}
		for _, f := range slices.Sorted(maps.Keys(obj)) {
			if !slices.Contains(fields, f) {
				p.add(path+"."+f, rawText(obj[f]), "is not a field of a channel here", "one of "+strings.Join(fields, ", "))
				continue
			}
			var s string
			if err := json.Unmarshal(obj[f], &s); err != nil {
				p.add(path+"."+f, string(obj[f]), "is not a string", "a string: quote IDs made of digits")
				continue
			}
			out[i][f] = s
		}
	}
	return out
}

// ChatAPIRegions are the regions with an endpoint of the Amazon Q Developer in chat
// applications API ("endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/chatbot.html):
// the provider creates channel configurations through the stack's region, so a stack that
// configures channels must be in one of them. A chat topic alone may be in any region outside
// China, where the service has none.
var ChatAPIRegions = []string{"ap-southeast-1", "eu-west-1", "us-east-2", "us-west-2"}

// validate checks the channels' IDs, their number and that none repeats, and that the stack's
// region can have what the setting asks for (see ChatAPIRegions; an unset region is the
// program's to check, once the provider knows it).
func (c Chat) validate(p *problems, region, partition string) {
	if c.Enabled && partition == "aws-cn" {
		p.add("chat", "{...}", fmt.Sprintf("is not available in the stack's region %s: Amazon Q Developer in chat applications has no endpoint in partition %s", region, partition),
			"no chat setting in a China region")
		return
	}
	if c.Configures() && region != "" && !slices.Contains(ChatAPIRegions, region) {
		p.add("chat", "{...}", fmt.Sprintf("configures channels, but the stack's region %s has no Amazon Q Developer API endpoint to create them through", region),
			"a stack in "+strings.Join(ChatAPIRegions, ", ")+", or {} (the chat topic only) with the channel configured in the Amazon Q Developer console")
	}
	if n := len(c.Slack) + len(c.Teams); n > MaxChatChannels {
		p.add("chat", fmt.Sprintf("{%d channels}", n), fmt.Sprintf("lists %d channels", n), fmt.Sprintf("at most %d, Slack and Teams together", MaxChatChannels))
	}
	seen := map[string]string{}
	once := func(path, id, what string) {
		if first, dup := seen[id]; dup {
			p.add(path+".channelId", what, "repeats "+first, "each channel once")
			return
		}
		seen[id] = path
	}
	for i, ch := range c.Slack {
		path := fmt.Sprintf("chat.slack[%d]", i)
		checkChatID(p, path+".teamId", ch.TeamID, slackTeamID, "is not a Slack workspace ID", allowedSlackTeamID)
		checkChatID(p, path+".channelId", ch.ChannelID, slackChannelID, "is not a Slack channel ID", allowedSlackChannel)
		once(path, "slack "+ch.TeamID+" "+ch.ChannelID, ch.ChannelID)
	}
	for i, ch := range c.Teams {
		path := fmt.Sprintf("chat.teams[%d]", i)
		checkChatID(p, path+".tenantId", ch.TenantID, guid, "is not a GUID", allowedGUID)
		checkChatID(p, path+".teamId", ch.TeamID, guid, "is not a GUID", allowedGUID)
		switch {
		case strings.Contains(ch.ChannelID, ":") || strings.Contains(ch.ChannelID, "@"):
			p.add(path+".channelId", ch.ChannelID, "is not URL-encoded", allowedTeamsChannel+`: ":" is %3A and "@" is %40`)
		default:
			checkChatID(p, path+".channelId", ch.ChannelID, teamsChannelID, "is not a Teams channel ID", allowedTeamsChannel)
		}
		once(path, "teams "+strings.ToLower(ch.TenantID)+" "+strings.ToLower(ch.TeamID)+" "+strings.ToLower(ch.ChannelID), ch.ChannelID)
	}
}

// checkChatID adds a problem when id is missing, too long or not of its shape.
func checkChatID(p *problems, key, id string, shape *regexp.Regexp, problem, allowed string) {
	switch {
	case id == "":
		p.add(key, "", problemMissing, allowed)
	case len(id) > maxChatIDLength:
		p.add(key, id, fmt.Sprintf("is %d characters long", len(id)), fmt.Sprintf("at most %d characters: %s", maxChatIDLength, allowed))
	case !shape.MatchString(id):
		p.add(key, id, problem, allowed)
	}
}

// Configures reports whether the stack creates channel configurations (and their role).
func (c Chat) Configures() bool { return len(c.Slack)+len(c.Teams) > 0 }

// clone copies the channel lists.
func (c Chat) clone() Chat {
	c.Slack = slices.Clone(c.Slack)
	c.Teams = slices.Clone(c.Teams)
	return c
}
