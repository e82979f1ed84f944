"""The use-case layer: one function per job, called alike by the CLI and the service.

Each use case takes a typed request (field names are the CLI's long options with ``-`` →
``_``) and a :class:`~h2lane.app.context.Context` (scenario, road graph, stations, progress
callback), and returns a typed result carrying a :class:`~h2lane.plan.PlanDocument` where it
plans. Nothing here prints: progress goes through the context's callback, errors are
:mod:`h2lane.errors` exceptions.

=================  =========================================
job                function
=================  =========================================
plan a trip        :func:`h2lane.app.trip.plan_trip`
dispatch orders    :func:`h2lane.app.dispatch.dispatch_orders`
solve a VRP        :func:`h2lane.app.vrp.solve_instance`
emissions          :func:`h2lane.app.emissions.account_emissions`
scenarios          :mod:`h2lane.app.scenario` (validate, show, fields, export)
roads              :mod:`h2lane.app.roads` (info, route)
plan documents     :mod:`h2lane.app.documents` (build), :mod:`h2lane.plan` (model, read)
=================  =========================================
"""
