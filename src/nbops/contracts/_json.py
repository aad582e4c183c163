"""Free-form JSON: notebook cells and metadata, user parameters, arbitrary YAML."""

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject = dict[str, JSONValue]
