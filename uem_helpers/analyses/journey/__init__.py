"""The customer journey: transitions, paths, loops and segment diffs (flow), the journey map and
bottlenecks (map), and the incident watch (incidents), all over sessionized events."""
