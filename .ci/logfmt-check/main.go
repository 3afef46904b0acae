// Command logfmt-check decodes a logfmt file with the reference decoder,
// github.com/go-logfmt/logfmt, and writes each record as a flat JSON object of
// strings, one per line, so a JSON Schema validator can check every line.
//
// It fails on the first syntax error, on a duplicate key and on an empty line.
// go-logfmt reads a record with bufio.Scanner, so lines over 64 KiB fail too.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/go-logfmt/logfmt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: logfmt-check FILE.logfmt > FILE.flat.jsonl")
		os.Exit(2)
	}
	file, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer file.Close()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	decoder := logfmt.NewDecoder(file)
	line := 0
	for decoder.ScanRecord() {
		line++
		record := map[string]string{}
		for decoder.ScanKeyval() {
			key := string(decoder.Key())
			if _, seen := record[key]; seen {
				fail(line, "duplicate key %q", key)
			}
			// go-logfmt gives "key=" and a bare "key" alike as a nil value: both
			// become "", which the schema's patterns then judge.
			record[key] = string(decoder.Value())
		}
		if err := decoder.Err(); err != nil {
			fail(line, "%v", err)
		}
		if len(record) == 0 {
			fail(line, "empty record")
		}
		encoded, err := json.Marshal(record)
		if err != nil {
			fail(line, "%v", err)
		}
		out.Write(encoded)
		out.WriteByte('\n')
	}
	if err := decoder.Err(); err != nil {
		fail(line, "%v", err)
	}
}

func fail(line int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "logfmt-check: line %d: %s\n", line, fmt.Sprintf(format, args...))
	os.Exit(1)
}
