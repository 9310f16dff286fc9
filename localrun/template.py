"""template.yaml as data: loading (with CloudFormation's short tags), the API
routes and functions it declares, and the intrinsic functions the runtime
needs to resolve (environment variables, resource properties)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_REGION = "us-east-1"
IMPLICIT_API = "ServerlessRestApi"  # the Api SAM creates for events without RestApiId


# ------------------------------------------------------------------ loading

class TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that reads `!Ref X` as `{"Ref": "X"}`, `!Sub s` as `{"Fn::Sub": s}`...

    CloudFormation's YAML has no timestamps: `2010-09-09` unquoted is a string
    there, so the timestamp resolver is dropped (PyYAML would make it a date).
    libyaml's parser when PyYAML has it: a fifth of the pure-Python one's time
    (the runtime, the tests and the tools read the template often).
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _node_value(loader: yaml.Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _long_form(name: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict:
        return {name: _node_value(loader, node)}

    return construct


def _get_att(loader: yaml.Loader, node: yaml.Node) -> dict:
    value = _node_value(loader, node)
    # `!GetAtt Table.Arn` splits at the first dot (attribute names may hold dots).
    return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}


TemplateLoader.add_constructor("!Ref", _long_form("Ref"))
TemplateLoader.add_constructor("!Condition", _long_form("Condition"))
TemplateLoader.add_constructor("!GetAtt", _get_att)
for _name in ("Sub", "Join", "If", "Select", "Split", "GetAZs", "ImportValue", "FindInMap",
              "Equals", "Not", "And", "Or", "Base64", "Cidr"):
    TemplateLoader.add_constructor(f"!{_name}", _long_form(f"Fn::{_name}"))


def load_text(text: str) -> dict:
    """The template as CloudFormation sees it after the AWS::LanguageExtensions
    transform: every ``Fn::ForEach`` loop expanded."""
    loaded = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - TemplateLoader is a SafeLoader
    return expand_for_each(loaded) if isinstance(loaded, dict) else loaded


def load_template(path: Path | str) -> dict:
    return load_text(Path(path).read_text())


# ------------------------------------------------------------ Fn::ForEach

_FOR_EACH = "Fn::ForEach::"


def expand_for_each(template: dict) -> dict:
    """``Fn::ForEach::Name: [Identifier, Collection, {OutputKey: OutputValue}]``
    replaced by one copy of the fragment per item, as the AWS::LanguageExtensions
    transform does (and cfn-lint, which `make template-check` runs, the same
    way): ``${Identifier}`` and ``&{Identifier}`` (the item without its
    non-alphanumerics) are replaced in keys and in Fn::Sub strings, a Fn::Sub
    left without variables becomes its string, and ``Ref: Identifier`` is the
    item. So ``Ref: !Sub "${Id}"`` or ``!GetAtt [!Sub "${Id}", Arn]`` name the
    resource the item names. The collection is a list, or a Ref to a
    CommaDelimitedList parameter's Default."""
    return _expand(template, {}, template.get("Parameters") or {})


def _expand(value: Any, items: dict[str, str], parameters: dict) -> Any:
    if isinstance(value, list):
        return [_expand(item, items, parameters) for item in value]
    if isinstance(value, str) or not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Fn::Sub" and items:
            return _expand_sub(argument, items, parameters)
        if key == "Ref" and items:
            target = _expand(argument, items, parameters)
            return items[target] if isinstance(target, str) and target in items else {"Ref": target}
    expanded: dict = {}
    for key, item in value.items():
        if isinstance(key, str) and key.startswith(_FOR_EACH):
            copies = _for_each_copies(key, item, items, parameters)
        else:
            copies = {_substitute(key, items) if isinstance(key, str) else key: _expand(item, items, parameters)}
        for copy_key, copy in copies.items():
            if copy_key in expanded:
                raise ValueError(f"{key}: {copy_key} is declared twice")
            expanded[copy_key] = copy
    return expanded


def _for_each_copies(key: str, loop: Any, items: dict[str, str], parameters: dict) -> dict:
    if not (isinstance(loop, list) and len(loop) == 3 and isinstance(loop[0], str) and isinstance(loop[2], dict)):
        raise ValueError(f"{key} is not [Identifier, Collection, {{OutputKey: OutputValue}}]")
    identifier, collection, fragment = loop
    copies: dict = {}
    for item in _collection(key, _expand(collection, items, parameters), parameters):
        for copy_key, copy in _expand(fragment, {**items, identifier: str(item)}, parameters).items():
            if copy_key in copies:
                raise ValueError(f"{key}: {copy_key} is declared twice")
            copies[copy_key] = copy
    return copies


def _collection(key: str, collection: Any, parameters: dict) -> list:
    if isinstance(collection, list):
        return collection
    name = collection.get("Ref") if isinstance(collection, dict) else None
    default = parameters.get(name, {}).get("Default") if isinstance(name, str) else None
    if isinstance(default, str):  # a CommaDelimitedList's Default
        return [item.strip() for item in default.split(",")]
    raise ValueError(f"{key}: the collection must be a list or a Ref to a parameter with a Default")


def _expand_sub(argument: Any, items: dict[str, str], parameters: dict) -> Any:
    text, variables = (argument, None) if isinstance(argument, str) else argument
    text = _substitute(text, items)
    if variables is not None:
        return {"Fn::Sub": [text, _expand(variables, items, parameters)]}
    return {"Fn::Sub": text} if _SUB_VARIABLE.search(text) else text


def _substitute(text: str, items: dict[str, str]) -> str:
    for identifier, item in items.items():
        text = text.replace("${" + identifier + "}", item)
        text = text.replace("&{" + identifier + "}", re.sub(r"[^0-9A-Za-z]", "", item))
    return text


# ---------------------------------------------------- routes and functions

@dataclass(frozen=True)
class Route:
    method: str        # upper case; "ANY" matches every method
    path: str          # the template's path, e.g. /v1/order/{orderId}/refund
    function: str      # logical id of the function serving it
    api: str = IMPLICIT_API


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path     # the function's directory
    handler: str       # "module.function"
    environment: dict[str, Any] = field(default_factory=dict)  # unresolved intrinsics
    memory_size: int = 128
    timeout: int = 3
    layers: tuple[Path, ...] = ()  # ContentUri of each of the template's own layers, in order
    snap_start: Any = None  # SnapStart's ApplyOn, unresolved ("PublishedVersions": on)


def _functions_of(template: dict) -> dict[str, dict]:
    return {logical_id: resource for logical_id, resource in template.get("Resources", {}).items()
            if resource.get("Type") == "AWS::Serverless::Function"}


def api_routes(template: dict) -> list[Route]:
    routes = []
    for logical_id, resource in _functions_of(template).items():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties", {})
            api = props.get("RestApiId", {"Ref": IMPLICIT_API})
            routes.append(Route(method=str(props["Method"]).upper(), path=props["Path"], function=logical_id,
                                api=api["Ref"] if isinstance(api, dict) else str(api)))
    return routes


def functions(template: dict, template_dir: Path | str | None = None) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function with Globals.Function applied the way
    SAM applies it: the function's own value wins, maps (Environment.Variables)
    merge, lists (Layers) add up, the globals' first. Paths are absolute when
    template_dir is given, else as the template writes them."""
    defaults = template.get("Globals", {}).get("Function", {})

    def located(path: str) -> Path:
        return Path(path) if template_dir is None else (Path(template_dir) / path).resolve()

    specs = {}
    for logical_id, resource in _functions_of(template).items():
        own = resource.get("Properties", {})
        props = {**defaults, **own}
        environment = {**defaults.get("Environment", {}).get("Variables", {}),
                       **own.get("Environment", {}).get("Variables", {})}
        layers = [*defaults.get("Layers", []), *own.get("Layers", [])]
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id, code_uri=located(props["CodeUri"]),
            handler=props["Handler"], environment=environment,
            memory_size=int(props.get("MemorySize", 128)), timeout=int(props.get("Timeout", 3)),
            layers=tuple(located(uri) for uri in _layer_contents(template, layers)),
            snap_start=(props.get("SnapStart") or {}).get("ApplyOn"),
        )
    return specs


def _layer_contents(template: dict, layers: list) -> list[str]:
    """ContentUri of the layers the template builds (`!Ref SharedLayer`); layer
    ARNs of other accounts have no local copy and are left out."""
    resources = template.get("Resources", {})
    contents = []
    for layer in layers:
        target = resources.get(layer.get("Ref")) if isinstance(layer, dict) else None
        if target and target.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            props = target.get("Properties", {})
            content = props.get("ContentUri", props.get("Content"))
            if isinstance(content, str):
                contents.append(content)
    return contents


def api_properties(template: dict, api_logical_id: str) -> dict:
    """The Api's properties over Globals.Api (the implicit API has only the latter)."""
    defaults = template.get("Globals", {}).get("Api", {})
    own = template.get("Resources", {}).get(api_logical_id, {}).get("Properties", {})
    return {**defaults, **own}


# ------------------------------------------------------------- intrinsics

class UnresolvableError(ValueError):
    """An intrinsic the local runtime cannot give a value to."""


_NO_VALUE = object()  # what Ref AWS::NoValue resolves to: the key or item disappears
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Resolver:
    """Resolves intrinsics against physical ids: {logical id: table name, topic
    ARN, queue URL, secret ARN...}, i.e. what `Ref` returns for each resource.
    The attributes that cannot be derived from a physical id (a table's
    StreamArn holds its creation time) come from `attributes`, which
    provisioning fills: {logical id: {attribute: value}}."""

    template: dict
    physical_ids: dict[str, str]
    region: str = LOCAL_REGION
    account_id: str = LOCAL_ACCOUNT_ID
    stack_name: str = "local"
    parameters: dict[str, Any] = field(default_factory=dict)  # overrides of the parameters' Defaults
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Condition":
                return self.condition(argument)
            if key.startswith("Fn::"):
                return self._function(key[4:], argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def resolve_environment(self, variables: dict[str, Any]) -> dict[str, str]:
        """Environment variables are strings, the way CloudFormation renders them."""
        resolved = self.resolve(variables)
        return {name: _as_env_string(value) for name, value in resolved.items()}

    # ------------------------------------------------------------ Ref

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region, "AWS::AccountId": self.account_id, "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": self.stack_name,
            "AWS::StackId":
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
            "AWS::NoValue": _NO_VALUE, "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            if name in self.parameters:
                return self.parameters[name]
            if "Default" not in self.template["Parameters"][name]:
                raise UnresolvableError(f"parameter {name} has no Default and no value was given")
            return self.template["Parameters"][name]["Default"]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise UnresolvableError(f"Ref {name}: not a parameter, nor a resource created locally or found in the stack")

    # --------------------------------------------------------- GetAtt

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template.get("Resources", {}).get(logical_id, {}).get("Type")
        physical_id = self.ref(logical_id)
        if attribute in self.attributes.get(logical_id, {}):
            return self.attributes[logical_id][attribute]
        if attribute == "Arn":
            return self.arn(logical_id)
        if resource_type == "AWS::SQS::Queue" and attribute in ("QueueName", "QueueUrl"):
            return physical_id.rsplit("/", 1)[-1] if attribute == "QueueName" else physical_id
        if resource_type == "AWS::SNS::Topic" and attribute in ("TopicArn", "TopicName"):
            return physical_id if attribute == "TopicArn" else physical_id.rsplit(":", 1)[-1]
        if resource_type == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            raise UnresolvableError(f"GetAtt {logical_id}.StreamArn: no stream known for the table "
                                   "(no StreamSpecification, or not provisioned by the runtime)")
        raise UnresolvableError(f"GetAtt {logical_id}.{attribute} is not known to the local runtime")

    def arn(self, logical_id: str) -> str:
        resource_type = self.template.get("Resources", {}).get(logical_id, {}).get("Type")
        physical_id = self.ref(logical_id)
        if resource_type == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{physical_id}"
        if resource_type == "AWS::SQS::Queue":  # Ref of a queue is its URL
            return f"arn:aws:sqs:{self.region}:{self.account_id}:{physical_id.rsplit('/', 1)[-1]}"
        if isinstance(physical_id, str) and physical_id.startswith("arn:"):
            return physical_id
        raise UnresolvableError(f"GetAtt {logical_id}.Arn: no ARN known for a {resource_type}")

    # ------------------------------------------------------ functions

    def _function(self, name: str, argument: Any) -> Any:
        handler = getattr(self, f"_fn_{name.lower()}", None)
        if handler is None:
            raise UnresolvableError(f"Fn::{name} is not supported by the local runtime")
        return handler(argument)

    def _fn_getatt(self, argument: Any) -> str:
        logical_id, attribute = self.resolve(argument)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = self.resolve(variables)

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return _as_env_string(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = argument
        return delimiter.join(_as_env_string(item) for item in self.resolve(items))

    def _fn_select(self, argument: Any) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = self.resolve(argument)
        return text.split(delimiter)

    def _fn_if(self, argument: Any) -> Any:
        condition, when_true, when_false = argument
        return self.resolve(when_true if self.condition(condition) else when_false)

    def _fn_equals(self, argument: Any) -> bool:
        left, right = self.resolve(argument)
        return _as_env_string(left) == _as_env_string(right)

    def _fn_not(self, argument: Any) -> bool:
        return not self._truth(argument[0])

    def _fn_and(self, argument: Any) -> bool:
        return all(self._truth(item) for item in argument)

    def _fn_or(self, argument: Any) -> bool:
        return any(self._truth(item) for item in argument)

    def _fn_getazs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_findinmap(self, argument: Any) -> Any:
        mapping, top, second = self.resolve(argument)[:3]
        return self.template["Mappings"][mapping][top][second]

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(str(self.resolve(argument)).encode()).decode()

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise UnresolvableError(f"condition {name} is not in the template")
        return self._truth(conditions[name])

    def _truth(self, value: Any) -> bool:
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, bool) else _as_env_string(resolved) == "true"


def _as_env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # CommaDelimitedList parameters
        return ",".join(_as_env_string(item) for item in value)
    return str(value)


def references(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref, Fn::GetAtt, Fn::Sub variables), so
    resources can be created after the ones their properties name."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
                found.add(target)
            elif key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                found |= {name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(text)
                          if not name.startswith(("!", "AWS::")) and name not in variables}
                found |= references(variables)
            else:
                found |= references(argument)
    return found
