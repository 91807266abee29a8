package asl

// Validation of the input and output fields every state shares, and of the Wait, Fail and
// Parallel states.

func (c stateCtx) io(io IO) {
	c.pathField("InputPath", io.InputPath, false, true)
	c.pathField("OutputPath", io.OutputPath, false, true)
	if c.jsonataOnly("Output", io.Output != nil) {
		c.template("Output", io.Output)
	}
	if io.Assign != nil {
		c.assign("Assign", io.Assign)
	}
}

// results checks the JSONPath result fields and the JSONata Arguments of Task and Parallel.
func (c stateCtx) results(params, args, selector any, resultPath Path) {
	if c.jsonPathOnly("Parameters", params != nil) {
		c.object("Parameters", params)
	}
	if c.jsonataOnly("Arguments", args != nil) {
		c.objectOrExpression("Arguments", args)
	}
	if c.jsonPathOnly("ResultSelector", selector != nil) {
		c.object("ResultSelector", selector)
	}
	c.resultPath("ResultPath", resultPath)
}

func (c stateCtx) wait(s *Wait) {
	fields := []string{"Seconds", "Seconds (expression)", "Timestamp", "SecondsPath", "TimestampPath"}
	set := []bool{s.Seconds.N != 0, s.Seconds.Expr != "", s.Timestamp != "", s.Seconds.Path != "", s.TimestampPath != ""}
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	if n == 0 {
		c.add(c.path, "a Wait needs one of Seconds, Timestamp, SecondsPath or TimestampPath")
	}
	c.exclusive(fields, set...)
	numberValue(c, "Seconds", s.Seconds, 0, MaxTimeoutSeconds)
	c.pathField("TimestampPath", s.TimestampPath, true, false)
	if s.Timestamp != "" && !(c.lang == JSONata && isExpression(s.Timestamp)) {
		c.stringValue("Timestamp", s.Timestamp)
		if !isRFC3339(s.Timestamp) {
			c.errf("Timestamp", "%q is not an RFC 3339 timestamp", s.Timestamp)
		}
	}
}

func (c stateCtx) fail(s *Fail) {
	c.exclusive([]string{"Error", "ErrorPath"}, s.Error != "", s.ErrorPath != "")
	c.exclusive([]string{"Cause", "CausePath"}, s.Cause != "", s.CausePath != "")
	for _, f := range []struct {
		name string
		p    Path
	}{{"ErrorPath", s.ErrorPath}, {"CausePath", s.CausePath}} {
		if !c.jsonPathOnly(f.name, f.p != "") {
			continue
		}
		if f.p.IsNull() {
			c.errf(f.name, "null is not allowed; want a path or an intrinsic function")
		} else if err := checkPathOrIntrinsic(string(f.p)); err != nil {
			c.errf(f.name, "%v", err)
		}
	}
	c.stringValue("Error", s.Error)
	c.stringValue("Cause", s.Cause)
}

func (c stateCtx) parallel(s *Parallel) {
	c.results(s.Parameters, s.Arguments, s.ResultSelector, s.ResultPath)
	if len(s.Branches) == 0 {
		c.errf("Branches", "empty; want at least one branch")
	}
	c.retry(s.Retry)
	c.catch(s.Catch)
}
