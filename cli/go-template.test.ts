import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderGoTemplate, sprintf } from './go-template.js';

const data = { OCIv1: { config: { Cmd: ['/bin/sh', '-c', 'x'], Labels: { b: '2', a: '1' } } }, Name: 'n', Size: 0, Tags: [] as string[] };

test('field paths print like Go %v', () => {
  assert.is(renderGoTemplate('{{.OCIv1.config.Cmd}}', data), '[/bin/sh -c x]');
  assert.is(renderGoTemplate('{{.OCIv1.config.Labels}}', data), 'map[a:1 b:2]');
  assert.is(renderGoTemplate('name={{.Name}}\\n', data), 'name=n\n');
  assert.is(renderGoTemplate('{{.name}} {{.}}', { Name: 'x' }), 'x map[Name:x]');
});

test('json function and missing fields', () => {
  assert.is(renderGoTemplate('{{json .OCIv1.config.Cmd}}', data), '["/bin/sh","-c","x"]');
  assert.is(renderGoTemplate('{{json "<&>"}}', data), '"\\u003c\\u0026\\u003e"');
  assert.is(renderGoTemplate('{{.Nope.Deeper}}', data), '<no value>');
  assert.is(renderGoTemplate('{{.OCIv1.config.Cmd | json}}', data), '["/bin/sh","-c","x"]');
});

test('control structures: range over lists and maps, else branches, with, if/else if', () => {
  assert.is(renderGoTemplate('{{range .OCIv1.config.Cmd}}<{{.}}>{{end}}', data), '</bin/sh><-c><x>');
  assert.is(renderGoTemplate('{{range $k, $v := .OCIv1.config.Labels}}{{$k}}={{$v}},{{end}}', data), 'a=1,b=2,');
  assert.is(renderGoTemplate('{{range $i, $c := .OCIv1.config.Cmd}}{{$i}}{{end}}', data), '012');
  assert.is(renderGoTemplate('{{range .Tags}}x{{else}}none{{end}}', data), 'none');
  assert.is(renderGoTemplate('{{with .Name}}[{{.}}]{{end}}{{with .Size}}no{{else}}zero{{end}}', data), '[n]zero');
  assert.is(renderGoTemplate('{{if eq .Name "a"}}a{{else if eq .Name "n"}}n{{else}}?{{end}}', data), 'n');
  assert.is(renderGoTemplate('{{if not .Tags}}empty{{end}}', data), 'empty');
  assert.is(renderGoTemplate('{{range .OCIv1.config.Cmd}}{{$.Name}}{{end}}', data), 'nnn', '$ is the data');
});

test('trim markers, comments, variables and parentheses', () => {
  assert.is(renderGoTemplate('a  {{- .Name -}}  b', data), 'anb');
  assert.is(renderGoTemplate('a{{/* gone */}}b', data), 'ab');
  assert.is(renderGoTemplate('{{$n := .Name}}{{$n}}{{$n = "m"}}{{$n}}', data), 'nm');
  assert.is(renderGoTemplate('{{(index .OCIv1.config.Cmd 2)}} {{len (index .OCIv1.config.Labels "a")}}', data), 'x 1');
  assert.is(renderGoTemplate('{{ "}}" }}', data), '}}', 'a closing brace inside a string does not end the action');
});

test('functions: print family, len, index, join, comparisons, and/or', () => {
  assert.is(renderGoTemplate('{{print 1 2 "a" 3}}|{{println "a" 1}}', data), '1 2a3|a 1\n');
  assert.is(renderGoTemplate('{{join .OCIv1.config.Cmd ","}}', data), '/bin/sh,-c,x');
  assert.is(renderGoTemplate('{{and 1 0 2}} {{or 0 "" "z"}} {{lt 1 2}} {{ge "b" "a"}} {{eq 1 2 1}} {{ne 1 1}}', data), '0 z true true true false');
  assert.is(renderGoTemplate('{{upper "ab"}}{{lower "CD"}}{{title "ef gh"}}', data), 'ABcdEf Gh');
  assert.is(sprintf('%-4s|%5d|%05d|%q|%x|%.2f|%%|%v', ['ab', 42, 7, 'q"', 255, 1.5, ['a']]), 'ab  |   42|00007|"q\\""|ff|1.50|%|[a]');
  assert.is(sprintf('%s %s', ['one']), 'one %!s(MISSING)');
});

test('template mistakes are refused with what is wrong', () => {
  assert.throws(() => renderGoTemplate('{{range .X}}', data), /missing \{\{end\}\}/);
  assert.throws(() => renderGoTemplate('{{.X', data), /unclosed action/);
  assert.throws(() => renderGoTemplate('{{nope .X}}', data), /function "nope" not defined/);
  assert.throws(() => renderGoTemplate('{{toString .X}}', data), /function "toString" not defined/);
  assert.throws(() => renderGoTemplate('{{template "x"}}', data), /not supported/);
  assert.throws(() => renderGoTemplate('{{else}}', data), /unexpected \{\{else\}\}/);
  assert.throws(() => renderGoTemplate('{{.Name 1}}', data), /non-function/);
  assert.throws(() => renderGoTemplate('{{range .Name}}{{end}}', data), /can't iterate/);
  assert.throws(() => renderGoTemplate('{{len .Nope}}', data), /len of/);
});

test.run();
