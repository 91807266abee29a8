package asl

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validation of Map states: inline and distributed, ItemReader, ItemBatcher and ResultWriter.

// labelForbidden lists the characters the AWS CDK refuses in a Distributed Map Label, besides
// whitespace and control characters.
const labelForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/"

func (c stateCtx) mapState(s *Map) {
	distributed := s.IsDistributed()
	switch {
	case s.ItemProcessor == nil && s.Iterator == nil:
		c.errf("ItemProcessor", "missing; want the graph to run for each item")
	case s.ItemProcessor != nil && s.Iterator != nil:
		c.errf("Iterator", "ItemProcessor and Iterator are exclusive; Iterator is the legacy name of ItemProcessor")
	}
	if s.ItemSelector != nil && s.Parameters != nil {
		c.errf("Parameters", "ItemSelector and Parameters are exclusive; Parameters is the legacy name of ItemSelector")
	}
	if p := s.ItemProcessor; p != nil {
		mode, exec := "", ""
		if p.ProcessorConfig != nil {
			mode, exec = p.ProcessorConfig.Mode, p.ProcessorConfig.ExecutionType
		}
		switch mode {
		case "", ModeInline, ModeDistributed:
		default:
			c.errf("ItemProcessor.ProcessorConfig.Mode", "%q is unknown; want %q or %q", mode, ModeInline, ModeDistributed)
		}
		switch {
		case mode == ModeDistributed && exec == "":
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "missing; a DISTRIBUTED map needs %q or %q", ExecutionStandard, ExecutionExpress)
		case mode == ModeDistributed && exec != ExecutionStandard && exec != ExecutionExpress:
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "%q is unknown; want %q or %q", exec, ExecutionStandard, ExecutionExpress)
		case mode != ModeDistributed && exec != "":
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "only a DISTRIBUTED map has an ExecutionType")
		}
	}
	c.pathField("ItemsPath", s.ItemsPath, true, false)
	if items, ok := c.decoded("Items", s.Items); ok && c.jsonataOnly("Items", items != nil) {
		switch it := items.(type) {
		case string:
			if err := checkExpression(it); err != nil {
				c.errf("Items", "%v", err)
			}
		case []any:
			c.template("Items", it)
		default:
			c.errf("Items", "want an array or a JSONata expression, got %s", jsonKind(items))
		}
	}
	if s.ItemSelector != nil {
		if c.lang == JSONata {
			c.objectOrExpression("ItemSelector", s.ItemSelector)
		} else {
			c.object("ItemSelector", s.ItemSelector)
		}
	}
	if c.jsonPathOnly("Parameters", s.Parameters != nil) {
		c.object("Parameters", s.Parameters)
	}
	if c.jsonPathOnly("ResultSelector", s.ResultSelector != nil) {
		c.object("ResultSelector", s.ResultSelector)
	}
	c.resultPath("ResultPath", s.ResultPath)

	number(c, "MaxConcurrency", s.MaxConcurrency, 0, MaxTimeoutSeconds)

	distributedOnly := func(field string, set bool) {
		if set && !distributed {
			c.errf(field, "only a DISTRIBUTED map may have %s", field)
		}
	}
	distributedOnly("ItemReader", s.ItemReader != nil)
	distributedOnly("ItemBatcher", s.ItemBatcher != nil)
	distributedOnly("ResultWriter", s.ResultWriter != nil)
	distributedOnly("ToleratedFailureCount", !s.ToleratedFailureCount.IsZero())
	distributedOnly("ToleratedFailurePercentage", !s.ToleratedFailurePercentage.IsZero())
	distributedOnly("Label", s.Label != "")

	number(c, "ToleratedFailureCount", s.ToleratedFailureCount, 0, MaxTimeoutSeconds)
	number(c, "ToleratedFailurePercentage", s.ToleratedFailurePercentage, 0, 100)

	if n := utf8.RuneCountInString(s.Label); n > MaxLabelLength {
		c.errf("Label", "%q is %d characters; the limit is %d", s.Label, n, MaxLabelLength)
	}
	for _, r := range s.Label {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(labelForbidden, r) {
			c.errf("Label", "%q contains %q; a label may not contain whitespace, control characters or any of %s", s.Label, r, labelForbidden)
			break
		}
	}
	c.itemReader(s.ItemReader)
	c.itemBatcher(s.ItemBatcher)
	c.resultWriter(s.ResultWriter)
	c.retry(s.Retry)
	c.catch(s.Catch)
}

func (c stateCtx) itemReader(r *ItemReader) {
	if r == nil {
		return
	}
	c.resourceARN("ItemReader.Resource", r.Resource, true)
	if c.jsonPathOnly("ItemReader.Parameters", r.Parameters != nil) {
		c.template("ItemReader.Parameters", r.Parameters)
	}
	if c.jsonataOnly("ItemReader.Arguments", r.Arguments != nil) {
		c.template("ItemReader.Arguments", r.Arguments)
	}
	rc := r.ReaderConfig
	if rc == nil {
		return
	}
	if !oneOf(rc.InputType, "CSV", "JSON", "JSONL", "MANIFEST", "PARQUET") {
		c.errf("ItemReader.ReaderConfig.InputType", "%q is unknown; want CSV, JSON, JSONL, MANIFEST or PARQUET", rc.InputType)
	}
	if !oneOf(rc.CSVHeaderLocation, "FIRST_ROW", "GIVEN") {
		c.errf("ItemReader.ReaderConfig.CSVHeaderLocation", "%q is unknown; want FIRST_ROW or GIVEN", rc.CSVHeaderLocation)
	}
	if rc.CSVHeaderLocation == "GIVEN" && len(rc.CSVHeaders) == 0 {
		c.errf("ItemReader.ReaderConfig.CSVHeaders", "missing; CSVHeaderLocation GIVEN needs the headers")
	}
	if !oneOf(rc.CSVDelimiter, "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB") {
		c.errf("ItemReader.ReaderConfig.CSVDelimiter", "%q is unknown; want COMMA, PIPE, SEMICOLON, SPACE or TAB", rc.CSVDelimiter)
	}
	number(c, "ItemReader.ReaderConfig.MaxItems", rc.MaxItems, 1, MaxTimeoutSeconds)
}

func (c stateCtx) itemBatcher(b *ItemBatcher) {
	if b == nil {
		return
	}
	if b.MaxItemsPerBatch.IsZero() && b.MaxInputBytesPerBatch.IsZero() {
		c.errf("ItemBatcher", "want MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms)")
	}
	number(c, "ItemBatcher.MaxItemsPerBatch", b.MaxItemsPerBatch, 1, MaxTimeoutSeconds)
	number(c, "ItemBatcher.MaxInputBytesPerBatch", b.MaxInputBytesPerBatch, 1, MaxPayloadBytes)
	if b.BatchInput != nil {
		c.template("ItemBatcher.BatchInput", b.BatchInput)
	}
}

func (c stateCtx) resultWriter(w *ResultWriter) {
	if w == nil {
		return
	}
	if w.Resource == "" && w.WriterConfig == nil {
		c.errf("ResultWriter", "want a Resource, a WriterConfig, or both")
	}
	c.resourceARN("ResultWriter.Resource", w.Resource, false)
	if c.jsonPathOnly("ResultWriter.Parameters", w.Parameters != nil) {
		c.template("ResultWriter.Parameters", w.Parameters)
	}
	if c.jsonataOnly("ResultWriter.Arguments", w.Arguments != nil) {
		c.template("ResultWriter.Arguments", w.Arguments)
	}
	if wc := w.WriterConfig; wc != nil {
		if !oneOf(wc.OutputType, "JSON", "JSONL") {
			c.errf("ResultWriter.WriterConfig.OutputType", "%q is unknown; want JSON or JSONL", wc.OutputType)
		}
		if !oneOf(wc.Transformation, "NONE", "COMPACT", "FLATTEN") {
			c.errf("ResultWriter.WriterConfig.Transformation", "%q is unknown; want NONE, COMPACT or FLATTEN", wc.Transformation)
		}
	}
}
